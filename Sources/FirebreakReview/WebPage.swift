/// The frame of every page: one inline style sheet that reads well on a phone and prints cleanly; no scripts.
public enum WebPage {
    public static let style = """
        body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
        header{background:#7a1f1f;color:#fff;padding:.6em 1em;display:flex;gap:1em;flex-wrap:wrap;align-items:center}
        header a{color:#fff;text-decoration:none;font-weight:600}header .who{margin-left:auto;font-size:.9em;opacity:.9}
        main{max-width:980px;margin:0 auto;padding:1em}
        table{border-collapse:collapse;width:100%;margin:.5em 0 1.2em}th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid #ddd;vertical-align:top}
        .late{color:#b00020;font-weight:600}.ok{color:#1b7f3b}.due-soon{color:#9a6700;font-weight:600}
        form.inline{display:inline}button{font:inherit;padding:.35em .8em;border-radius:6px;border:1px solid #7a1f1f;background:#fff;color:#7a1f1f;cursor:pointer}
        button.primary{background:#7a1f1f;color:#fff}label{display:block;margin:.8em 0 .2em;font-weight:600}
        input,select,textarea{font:inherit;width:100%;box-sizing:border-box;padding:.45em;border:1px solid #bbb;border-radius:6px}
        .hint{font-size:.9em;color:#555;margin:.2em 0}.notice{background:#e8f4ea;border:1px solid #1b7f3b;padding:.8em;border-radius:6px}
        .error{background:#fdecea;border:1px solid #b00020;padding:.8em;border-radius:6px}
        ol.timeline{padding-left:1.2em}ol.timeline time{font-family:ui-monospace,monospace;font-size:.85em;color:#555}
        code{font-size:.85em;word-break:break-all}
        @media print{header,form,button{display:none}body{background:#fff}main{max-width:none}}
        """

    public static func document(title: String, body: String, header: String = "", refreshSeconds: Int? = nil) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        \(refreshSeconds.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? "")<title>\(HTML.escape(title)) · Firebreak</title><style>\(style)</style></head>
        <body>\(header)<main>\(body)</main></body></html>

        """
    }
}
