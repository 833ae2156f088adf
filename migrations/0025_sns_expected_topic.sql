-- The SNS topic a service expects (an admin's setting; NULL: the first confirmed subscription's
-- topic is pinned, trust on first use). When set, a CloudWatch-via-SNS message from any other
-- topic is refused, also before anything is confirmed (see cloudwatch::topic_allowed).
ALTER TABLE services ADD COLUMN sns_topic_arn TEXT;
