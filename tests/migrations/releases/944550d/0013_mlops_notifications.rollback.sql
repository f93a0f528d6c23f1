-- Rollback of 0013_mlops_notifications.
--
-- WHY: removes notification channels and rules, their enums, and the foreign
-- key (and its index) from mlops.alerts to the rules; alerts keep their
-- notification_rule_id column (created by 0012).

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-table, ban-drop-type

SET LOCAL lock_timeout = '5s';

DROP INDEX mlops.ix_alerts__notification_rule_id;
ALTER TABLE mlops.alerts DROP CONSTRAINT fk_alerts__notification_rule_id;

DROP TABLE mlops.notification_rules;
DROP TABLE mlops.notification_channels;

DROP TYPE mlops.notification_event_type;
DROP TYPE mlops.notification_channel_type;
