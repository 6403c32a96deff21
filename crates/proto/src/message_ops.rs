//! Message operations: revoke, delete, modify, forward, merger, hopping (issue 3). Wire types.
