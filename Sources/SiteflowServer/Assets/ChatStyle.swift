/// placeholder
enum ChatStyle {
    static let css = ""
}
