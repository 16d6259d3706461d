//! [`LocalConnector`]: the backend is Hadron's own database.

use async_trait::async_trait;
use hadron_store::Store;

use super::{BackendId, Connector, ConnectorError, FlagMode, OutgoingMessage, verify_password};
use crate::flags::FlagSet;

/// The connector of the `hadron` server: users and their argon2 password
/// hashes live in the store, and there is no other backend to tell about
/// mutations — the engine's own store write *is* the backend write. Its
/// mutation methods therefore only accept, and its [`BackendId`]s are the
/// Hadron names (`mailbox`) and `mailbox/uid`-free placeholders are never
/// invented: message ids are returned empty, as the store assigns UIDs.
#[derive(Debug, Clone)]
pub struct LocalConnector {
    store: Store,
}

impl LocalConnector {
    /// A connector over `store`.
    pub fn new(store: Store) -> LocalConnector {
        LocalConnector { store }
    }
}

#[async_trait]
impl Connector for LocalConnector {
    async fn authenticate(&self, username: &str, password: &str) -> Result<(), ConnectorError> {
        let store = self.store.clone();
        let (name, password) = (username.to_owned(), password.to_owned());
        // Both the lookup and Argon2 (deliberately slow) block.
        let ok = tokio::task::spawn_blocking(move || {
            let user = store
                .user_by_name(&name)
                .map_err(|e| ConnectorError::Unavailable(e.to_string()))?;
            Ok::<bool, ConnectorError>(
                user.is_some_and(|(_, phc)| verify_password(&phc, &password)),
            )
        })
        .await
        .map_err(|e| ConnectorError::Unavailable(e.to_string()))??;
        if ok {
            Ok(())
        } else {
            Err(ConnectorError::AuthenticationFailed)
        }
    }

    async fn create_mailbox(&self, _user: &str, name: &str) -> Result<BackendId, ConnectorError> {
        Ok(BackendId(name.to_owned()))
    }

    async fn rename_mailbox(
        &self,
        _user: &str,
        _from: &str,
        _to: &str,
    ) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn delete_mailbox(&self, _user: &str, _name: &str) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn create_messages(
        &self,
        _user: &str,
        _mailbox: &str,
        _messages: &[OutgoingMessage<'_>],
    ) -> Result<Vec<BackendId>, ConnectorError> {
        Ok(Vec::new())
    }

    async fn add_messages(
        &self,
        _user: &str,
        _from: &str,
        _uids: &[u32],
        _to: &str,
    ) -> Result<Vec<BackendId>, ConnectorError> {
        Ok(Vec::new())
    }

    async fn remove_messages(
        &self,
        _user: &str,
        _mailbox: &str,
        _uids: &[u32],
    ) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn move_messages(
        &self,
        _user: &str,
        _from: &str,
        _uids: &[u32],
        _to: &str,
    ) -> Result<Vec<BackendId>, ConnectorError> {
        Ok(Vec::new())
    }

    async fn set_flags(
        &self,
        _user: &str,
        _mailbox: &str,
        _uids: &[u32],
        _mode: FlagMode,
        _flags: &FlagSet,
    ) -> Result<(), ConnectorError> {
        Ok(())
    }
}
