//! Profile, blacklist and user status operations (issue 5): their wire types.
