DROP INDEX mailbox_messages_recent;
