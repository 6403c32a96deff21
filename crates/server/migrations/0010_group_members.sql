-- Group members: lists, profiles, adding and removing, mute, roles, name cards, custom fields, marks (issue 6).
SELECT 1;
