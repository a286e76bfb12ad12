-- Research export: sessions, ids replaced by pseudonyms (student_keys and
-- tutor_keys are temporary tables the export builds from the key). The
-- provider's session id is not exported: it may embed a student id.
SELECT
    k.student_key,
    t.tutor_key,
    se.provider,
    coalesce(se.school_id, st.school_id)  AS school_id,
    se.session_date,
    se.start_time,
    se.duration_minutes,
    se.status,
    se.group_size,
    se.modality,
    se.subject,
    CASE WHEN month(se.session_date) >= 7
         THEN concat(year(se.session_date), '-', lpad(CAST((year(se.session_date) + 1) % 100 AS VARCHAR), 2, '0'))
         ELSE concat(year(se.session_date) - 1, '-', lpad(CAST(year(se.session_date) % 100 AS VARCHAR), 2, '0'))
    END                                   AS school_year
FROM sessions se
JOIN student_keys k ON k.student_id = se.student_id
LEFT JOIN tutor_keys t ON t.provider = se.provider AND t.tutor_id = se.tutor_id
LEFT JOIN students st ON st.student_id = se.student_id
WHERE $year IS NULL OR school_year = $year
ORDER BY school_year, se.session_date, k.student_key, se.provider
