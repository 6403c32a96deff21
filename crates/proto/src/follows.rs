//! Follow operations (issue 5): the wire types of followUser and the follow lists.
