-- Every day with a session, with the calendar period, month and week it
-- belongs to: worked out once per day here, so session_facts joins on the
-- date instead of looking the period up for every session. Set up as a
-- temporary table named session_days.
SELECT
    d.day,
    (SELECT p.name FROM calendar_periods p
     WHERE d.day BETWEEN p.from_date AND p.to_date
     ORDER BY p.from_date LIMIT 1)                AS period,
    strftime(d.day, '%Y-%m')                      AS month,
    CAST(date_trunc('week', d.day) AS DATE)       AS week
FROM (SELECT DISTINCT session_date AS day FROM sessions) d
