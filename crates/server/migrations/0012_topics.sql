-- Communities and topics (issue 6).
SELECT 1;
