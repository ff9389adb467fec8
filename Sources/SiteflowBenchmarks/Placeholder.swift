public enum SiteflowBenchmarksPlaceholder {}
