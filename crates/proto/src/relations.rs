//! Friend, friend application and friend group operations (issue 5): their wire types.
