//! The `/users` family: the User object, its request bodies, and its listing query.

mod object;
mod query;
mod requests;

pub use object::{EmailAddress, PhoneNumber, User, Web3Wallet, WireVerification};
pub use query::{UserFilterQuery, UserListParams, UserPageQuery};
pub use requests::{
    BulkUsersRequest, CreateUserRequest, IdentificationStatus, MetadataRequest, UpdateUserRequest,
    metadata_value,
};
