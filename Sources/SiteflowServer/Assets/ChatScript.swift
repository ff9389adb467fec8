/// placeholder
enum ChatScript {
    static let javascript = ""
}
