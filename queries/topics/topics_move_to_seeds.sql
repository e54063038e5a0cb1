-- gives the texts in seed_claims (feedback_id, topic_id, probability; registered by
-- pulse/topics/seeding.py) their seed's topic in run $run_id
update doc_topics
set topic_id = seed_claims.topic_id, probability = seed_claims.probability
from seed_claims
where doc_topics.run_id = $run_id and doc_topics.feedback_id = seed_claims.feedback_id
