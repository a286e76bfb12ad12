-- Research export: assessment results with student pseudonyms.
SELECT
    k.student_key,
    a.school_id,
    coalesce(a.grade, st.grade)  AS grade,
    a.assessment,
    a.subject,
    a."window",
    a.test_date,
    a.scale_score,
    a.percentile,
    a.achievement_level,
    a.measure,
    a.primary_measure,
    a.school_year
FROM assessments a
JOIN student_keys k ON k.student_id = a.student_id
LEFT JOIN students st ON st.student_id = a.student_id
WHERE $year IS NULL OR a.school_year = $year
ORDER BY a.school_year, k.student_key, a.subject, a.test_date, a.measure
