DROP TABLE unindexed_text;
DROP TABLE message_fulltext;
