-- PostgreSQL version of ../0010_group_members.sql: same tables, columns, keys and indexes.
-- Group members: lists, profiles, adding and removing, mute, roles, name cards, custom fields, marks (issue 6).

-- When a member's mute ends (unix seconds); 0 = not muted. It lives on the membership row so
-- leaving the group ends it.
ALTER TABLE group_members ADD COLUMN mute_until BIGINT NOT NULL DEFAULT 0;

-- AVChatRoom member marks (markGroupMemberList), filtered on by getGroupMemberList.
CREATE TABLE group_member_marks (
    group_id  TEXT    NOT NULL,
    user_id   TEXT    NOT NULL,
    mark      BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id, mark)
);

-- AVChatRoom bans from deleteGroupMember's duration: the user may not rejoin before `until`.
CREATE TABLE group_bans (
    group_id  TEXT    NOT NULL,
    user_id   TEXT    NOT NULL,
    until     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, user_id)
);
