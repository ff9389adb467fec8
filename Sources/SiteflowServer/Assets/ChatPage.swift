/// placeholder
enum ChatPage {
    static let html = ""
}
