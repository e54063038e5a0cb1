-- a known seed's name and example phrases as the taxonomy file has them now
update topic_seeds set name = $name, examples = $examples where seed_key = $seed_key
