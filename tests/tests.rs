//! Integration tests: one binary, one module per concern.

mod util;

mod assertions;
mod bulk;
mod cli;
mod corpus;
mod html;
mod model;
mod properties;
mod seed;
