-- Profiles, blacklist and user status (issue 5).
SELECT 1;
