//! Message extensions, reactions, read receipts, cloud search, translation and speech-to-text (issue 3). Wire types.
