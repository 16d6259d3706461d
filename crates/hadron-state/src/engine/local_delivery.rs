//! What local delivery (LMTP, in `hadron-server`) needs of the engine
//! beyond [`Engine::append`]: finding a recipient's account by name without
//! a password. Delivery itself is an ordinary APPEND, so quota, durability
//! and the push to IDLE sessions are the same as for a client's APPEND.

use super::{Account, Engine, EngineError};

impl Engine {
    /// The local account named `name`, if there is one (`None` is an
    /// unknown recipient). No password is checked and no account is
    /// created: mail is delivered only to users the store knows.
    pub async fn local_account(&self, name: &str) -> Result<Option<Account>, EngineError> {
        let name = name.to_owned();
        self.read_sized(true, move |store, _| {
            Ok(store
                .user_by_name(&name)?
                .map(|(id, _)| Account { id, name }))
        })
        .await
    }
}
