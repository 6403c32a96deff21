//! Group administration: profile updates, search, online count, ownership, applications, attributes and counters (issue 6). Wire types.
