"""联络员制度 liaisons (附件2): reports, replacement and coordination requests, trainings."""
