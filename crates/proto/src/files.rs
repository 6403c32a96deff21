//! Media: the file service (upload, download, Range) and image, audio, video and file messages (issue 3). Wire types.
