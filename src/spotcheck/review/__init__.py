"""The duty-list review (履职清单审查): accountabilityReview and inspectorReview."""
