DROP TRIGGER messages_text_delete;
DROP TRIGGER messages_text_insert;
DROP TABLE message_text;
