-- Research export: students with their school, grade and subgroup flags,
-- as the warehouse knows them for the export's school year.
SELECT
    k.student_key,
    st.school_id,
    st.grade,
    st.ell,
    st.sped,
    st.econ_disadv,
    st.race_ethnicity,
    st.gender,
    st.source,
    $school_year AS school_year
FROM students st
JOIN student_keys k ON k.student_id = st.student_id
ORDER BY k.student_key
