/// One panel of the live dashboard: headline figures, tables and trees, as plain strings so every
/// part of the node (runtime, sockets, store, jobs) can describe itself the same way.
public struct DashboardSection: Codable, Sendable, Equatable {
    /// One headline number with its label, e.g. ("processes", "15,204").
    public struct Figure: Codable, Sendable, Equatable {
        /// What the number is.
        public var label: String
        /// The value, formatted for people.
        public var value: String
        /// The raw value, when it is a number (the page plots these over time).
        public var number: Double?
        /// Creates a figure.
        public init(label: String, value: String, number: Double? = nil) {
            self.label = label
            self.value = value
            self.number = number
        }
    }

    /// A table with named columns.
    public struct Table: Codable, Sendable, Equatable {
        /// The table's caption.
        public var title: String
        /// Column headings.
        public var columns: [String]
        /// Rows, each with one string per column.
        public var rows: [[String]]
        /// Creates a table.
        public init(title: String, columns: [String], rows: [[String]]) {
            self.title = title
            self.columns = columns
            self.rows = rows
        }
    }

    /// A node of a tree (the supervision tree).
    public struct TreeNode: Codable, Sendable, Equatable {
        /// What the node shows.
        public var label: String
        /// Its children.
        public var children: [TreeNode]
        /// Creates a tree node.
        public init(label: String, children: [TreeNode] = []) {
            self.label = label
            self.children = children
        }
    }

    /// The panel's title.
    public var title: String
    /// Headline figures.
    public var figures: [Figure]
    /// Tables.
    public var tables: [Table]
    /// Trees (roots).
    public var trees: [TreeNode]

    /// Creates a panel.
    public init(title: String, figures: [Figure] = [], tables: [Table] = [], trees: [TreeNode] = []) {
        self.title = title
        self.figures = figures
        self.tables = tables
        self.trees = trees
    }
}

/// Something that shows a panel on the dashboard.
public protocol DashboardSource: Sendable {
    /// The panel as it is now. Called for each dashboard refresh (about once a second per open
    /// page); must be quick.
    func dashboardSection() -> DashboardSection
}
