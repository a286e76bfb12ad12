-- An assessment file may give several measures per student and window: a
-- composite and its subtests (DIBELS 8: LNF, PSF, NWF, WRF, ORF), or a
-- fluency test's domains. Each is a row; growth, coverage and impact read the
-- profile's primary measure (composite unless the profile says otherwise),
-- and the others are kept for analysts and the research export. Rows loaded
-- before this migration were composites.
ALTER TABLE assessments ADD COLUMN measure VARCHAR DEFAULT 'composite';
ALTER TABLE assessments ADD COLUMN primary_measure BOOLEAN DEFAULT true;
