//! Errors crossing into JS. napi async functions reject with a plain `Error`, so the shared
//! protocol code travels in a fixed message prefix `RUSTLOG[<code>;<retriable>] ` that
//! `lib/errors.js` turns into a `RustLogError` with `.code`, `.name` and `.retriable`.

use napi_derive::napi;
use rustlog_protocol::ErrorCode;

/// One row of the shared error-code table, for `lib/errors.js`.
#[napi(object)]
#[derive(Debug)]
pub struct ErrorCodeInfo {
    pub code: u32,
    pub name: String,
    pub retriable: bool,
    pub message: String,
}

/// The whole `rustlog_protocol::ErrorCode` table, so JS never keeps its own copy.
#[napi]
pub fn error_codes() -> Vec<ErrorCodeInfo> {
    ErrorCode::ALL
        .iter()
        .map(|c| ErrorCodeInfo {
            code: u32::from(c.code()),
            name: c.name().to_string(),
            retriable: c.is_retriable(),
            message: c.message().to_string(),
        })
        .collect()
}

/// A JS error carrying `code` and `retriable` in the prefix `lib/errors.js` parses.
pub(crate) fn coded(
    code: ErrorCode,
    retriable: bool,
    message: impl std::fmt::Display,
) -> napi::Error {
    napi::Error::new(
        napi::Status::GenericFailure,
        format!("RUSTLOG[{};{}] {message}", code.code(), u8::from(retriable)),
    )
}

/// An argument the binding rejects before calling the client.
pub(crate) fn invalid_argument(message: impl std::fmt::Display) -> napi::Error {
    coded(ErrorCode::InvalidArgument, false, message)
}

/// A client error with its shared code, retriable flag and one-line context.
pub(crate) fn from_client(e: &rustlog::Error) -> napi::Error {
    coded(e.kind(), e.is_retriable(), e)
}
