//! The refusals of the organization rules as Clerk answers them: status, code, message and
//! long message.

use axum::http::StatusCode;
use roster_domain::DomainError;

pub(crate) fn describe(error: DomainError) -> (StatusCode, &'static str, &'static str, String) {
    match error {
        DomainError::AlreadyMember => (
            StatusCode::BAD_REQUEST,
            "already_a_member_in_organization",
            "Already a member",
            "The user is already a member of this organization.".to_owned(),
        ),
        DomainError::MembershipQuotaExceeded { max } => (
            StatusCode::FORBIDDEN,
            "organization_membership_quota_exceeded",
            "Membership quota exceeded",
            format!("The organization has reached its limit of {max} memberships."),
        ),
        // 422: Clerk's document gives the membership update and delete no 403.
        DomainError::LastAdmin => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "organization_minimum_permissions_needed",
            "Minimum permissions needed",
            "An organization must keep at least one member with the admin role.".to_owned(),
        ),
        DomainError::OrganizationQuotaExceeded { limit } => (
            StatusCode::FORBIDDEN,
            "organization_quota_exceeded",
            "Organization quota exceeded",
            format!("You have reached your limit of {limit} organizations."),
        ),
        DomainError::AlreadyInvited => (
            StatusCode::BAD_REQUEST,
            "duplicate_record",
            "Already invited",
            "This email address has a pending invitation to this organization already.".to_owned(),
        ),
        DomainError::InvitationNotPending => (
            StatusCode::BAD_REQUEST,
            "organization_invitation_not_pending",
            "Invitation not pending",
            "This invitation is accepted, revoked or expired.".to_owned(),
        ),
        DomainError::NotAnAdmin => (
            StatusCode::FORBIDDEN,
            "not_an_admin_in_organization",
            "Not an admin",
            "The acting user must be an admin of this organization.".to_owned(),
        ),
        _ => (
            StatusCode::FORBIDDEN,
            "organization_creation_not_allowed",
            "Organization creation not allowed",
            "You are not allowed to create organizations.".to_owned(),
        ),
    }
}
