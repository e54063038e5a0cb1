-- the window's texts whose language is known, and how many of them are not English:
-- what decides whether the window needs the multilingual embedder
select
    count(language) as known,
    count(language) filter (where language <> 'en') as other
from feedback
where created_at >= $window_start and created_at < $window_end
