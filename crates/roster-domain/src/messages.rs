//! The messages Roster sends users, rendered in the user's language where a translation
//! exists (English, German, French) and in English otherwise, then queued in the outbox of the
//! transaction that causes them. The worker in `roster-delivery` delivers them.

use roster_model::ids::{IdPrefix, new_id};
use roster_model::messages::{Channel, NewMessage};
use roster_model::time::Millis;
use roster_model::users::User;
use roster_store::Tx;

use crate::error::DomainResult;
use crate::events::Events;

/// The languages with a translation; the first primary subtag of a user's locale picks one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    English,
    German,
    French,
}

impl Language {
    pub fn for_locale(locale: Option<&str>) -> Self {
        let primary = locale
            .and_then(|tag| tag.split(['-', '_']).next())
            .map(str::to_ascii_lowercase);
        match primary.as_deref() {
            Some("de") => Language::German,
            Some("fr") => Language::French,
            _ => Language::English,
        }
    }
}

/// A message before it has an id and a time.
pub(crate) struct Draft {
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub template: &'static str,
    /// The one-time code the subject and body carry, if any.
    pub code: Option<OneTimeCode>,
}

/// A code in a message's text, and when it stops being valid.
pub(crate) struct OneTimeCode {
    pub code: String,
    pub expires_at: Millis,
}

/// What stands for an erased code, in the outbox's stored events.
const ERASED_CODE: &str = "******";

impl Draft {
    /// Queues the message in `tx`: it exists only if the transaction commits.
    /// With `events`, the matching `email.created` / `sms.created` event is written too.
    pub(crate) async fn enqueue(
        self,
        tx: &mut Tx,
        user: &User,
        now: Millis,
        events: Option<&Events>,
    ) -> DomainResult<()> {
        self.queue(tx, Some(user), now, events).await
    }

    /// Queues a message to an address that is no user's (yet), such as an invitation.
    pub(crate) async fn enqueue_to_address(
        self,
        tx: &mut Tx,
        now: Millis,
        events: Option<&Events>,
    ) -> DomainResult<()> {
        self.queue(tx, None, now, events).await
    }

    async fn queue(
        self,
        tx: &mut Tx,
        user: Option<&User>,
        now: Millis,
        events: Option<&Events>,
    ) -> DomainResult<()> {
        let message = NewMessage {
            id: new_id(IdPrefix::Message),
            channel: self.channel,
            recipient: self.recipient,
            subject: self.subject,
            body: self.body,
            template: self.template,
            user_id: user.map(|user| user.id.clone()),
            code_expires_at: self.code.as_ref().map(|code| code.expires_at),
            created_at: now,
        };
        tx.enqueue_message(&message).await?;
        if let Some(events) = events {
            events.wake_delivery_after_commit(tx);
            let identification_id = user.and_then(|user| {
                user.identifications
                    .iter()
                    .find(|identification| identification.value == message.recipient)
                    .map(|identification| identification.id.as_str())
            });
            let erasable = self.code.as_ref().map(|code| {
                let redacted = NewMessage {
                    subject: message.subject.replace(&code.code, ERASED_CODE),
                    body: message.body.replace(&code.code, ERASED_CODE),
                    ..message.clone()
                };
                (redacted, code.expires_at)
            });
            events
                .message_created(tx, &message, identification_id, erasable)
                .await?;
        }
        tracing::debug!(message_id = %message.id, template = message.template, "message queued");
        Ok(())
    }
}

/// The notice to the previous primary address that another address became primary.
pub(crate) fn primary_email_address_changed(
    language: Language,
    previous: &str,
    current: &str,
) -> Draft {
    let (subject, body) = match language {
        Language::English => (
            "Your primary email address was changed".to_owned(),
            format!(
                "Hello,\n\nthe primary email address of your account was changed from {previous} \
                 to {current}.\n\nIf you did not make this change, contact support right away.\n"
            ),
        ),
        Language::German => (
            "Ihre primäre E-Mail-Adresse wurde geändert".to_owned(),
            format!(
                "Hallo,\n\ndie primäre E-Mail-Adresse Ihres Kontos wurde von {previous} zu \
                 {current} geändert.\n\nWenn Sie das nicht waren, wenden Sie sich bitte sofort an \
                 den Support.\n"
            ),
        ),
        Language::French => (
            "Votre adresse e-mail principale a été modifiée".to_owned(),
            format!(
                "Bonjour,\n\nl'adresse e-mail principale de votre compte est passée de {previous} \
                 à {current}.\n\nSi vous n'êtes pas à l'origine de ce changement, contactez le \
                 support immédiatement.\n"
            ),
        ),
    };
    Draft {
        channel: Channel::Email,
        recipient: previous.to_owned(),
        subject,
        body,
        template: "primary_email_address_changed",
        code: None,
    }
}

/// A one-time code, by e-mail or SMS.
pub(crate) fn verification_code(
    language: Language,
    channel: Channel,
    recipient: &str,
    code: &str,
    expires_at: Millis,
    valid_minutes: i64,
) -> Draft {
    let (subject, body) = match language {
        Language::English => (
            format!("{code} is your verification code"),
            format!(
                "Your verification code is {code}. It is valid for {valid_minutes} minutes. \
                 Do not share it with anyone."
            ),
        ),
        Language::German => (
            format!("{code} ist Ihr Bestätigungscode"),
            format!(
                "Ihr Bestätigungscode lautet {code}. Er ist {valid_minutes} Minuten gültig. \
                 Geben Sie ihn an niemanden weiter."
            ),
        ),
        Language::French => (
            format!("{code} est votre code de vérification"),
            format!(
                "Votre code de vérification est {code}. Il est valable {valid_minutes} minutes. \
                 Ne le communiquez à personne."
            ),
        ),
    };
    Draft {
        channel,
        recipient: recipient.to_owned(),
        subject: if channel == Channel::Sms {
            String::new()
        } else {
            subject
        },
        body,
        template: "verification_code",
        code: Some(OneTimeCode {
            code: code.to_owned(),
            expires_at,
        }),
    }
}

/// The invitation to join an organization. `link` is where accepting leads, when the
/// invitation names one.
pub(crate) fn organization_invitation(
    recipient: &str,
    organization: &str,
    link: Option<&str>,
    expires_in_days: i64,
) -> Draft {
    let accept = match link {
        Some(link) => format!("To accept, open {link}\n\n"),
        None => String::new(),
    };
    Draft {
        channel: Channel::Email,
        recipient: recipient.to_owned(),
        subject: format!("You are invited to join {organization}"),
        body: format!(
            "Hello,\n\nyou are invited to join {organization}.\n\n{accept}Sign up or sign in \
             with this email address within {expires_in_days} days to become a member.\n"
        ),
        template: "organization_invitation",
        code: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_pick_a_translation_or_english() {
        assert_eq!(Language::for_locale(Some("de-AT")), Language::German);
        assert_eq!(Language::for_locale(Some("fr")), Language::French);
        assert_eq!(Language::for_locale(Some("ja-JP")), Language::English);
        assert_eq!(Language::for_locale(None), Language::English);
    }

    #[test]
    fn sms_codes_have_no_subject() {
        let draft = verification_code(
            Language::English,
            Channel::Sms,
            "+15555550100",
            "123456",
            600_000,
            10,
        );
        assert!(draft.subject.is_empty() && draft.body.contains("123456"));
    }
}
