DROP TABLE unindexed_text;
DROP TRIGGER messages_fulltext_delete;
DROP TABLE message_fulltext;
