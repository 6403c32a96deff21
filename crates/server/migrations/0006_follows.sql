-- Follows (issue 5).
SELECT 1;
