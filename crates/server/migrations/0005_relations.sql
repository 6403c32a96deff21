-- Friends, friend applications and friend groups (issue 5).
SELECT 1;
