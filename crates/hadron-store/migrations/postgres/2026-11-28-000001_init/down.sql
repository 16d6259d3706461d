DROP TABLE blobs;
DROP TABLE expunged;
DROP TABLE mailbox_messages;
DROP TABLE mailbox_keywords;
DROP TABLE messages;
DROP TABLE subscriptions;
DROP TABLE mailboxes;
DROP TABLE users;
