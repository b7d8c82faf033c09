import FirebreakCore
import Testing
@testable import FirebreakTestSupport

@Suite struct PostAddressTests {
    @Test(arguments: [
        ("https://x.com/acme/status/1859", "https://x.com/acme/status/1859"),
        ("HTTPS://X.COM/acme/status/1859", "https://x.com/acme/status/1859"),
        ("http://twitter.com/acme/status/1859", "https://x.com/acme/status/1859"),
        ("https://mobile.twitter.com/acme/status/1859?s=20&t=abc", "https://x.com/acme/status/1859"),
        ("https://www.x.com/acme/status/1859/", "https://x.com/acme/status/1859"),
        ("https://x.com/acme/status/1859#reply-3", "https://x.com/acme/status/1859"),
        ("https://m.facebook.com/story.php?story_fbid=42&id=7&fbclid=IwAR0", "https://facebook.com/story.php?id=7&story_fbid=42"),
        ("https://www.facebook.com/story.php?id=7&story_fbid=42", "https://facebook.com/story.php?id=7&story_fbid=42"),
        ("https://www.instagram.com/p/Cx1/?igshid=MzRlODBiNWFlZA==", "https://instagram.com/p/Cx1"),
        ("https://www.linkedin.com/posts/acme_update-7?utm_source=share&utm_medium=member_desktop", "https://linkedin.com/posts/acme_update-7"),
        ("https://open.spotify.com/episode/9?si=abc", "https://open.spotify.com/episode/9"),
        ("https://youtu.be/dQw4w9WgXcQ?si=xyz", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://www.tiktok.com/@acme/video/73?is_from_webapp=1", "https://tiktok.com/@acme/video/73?is_from_webapp=1"),
        ("https://example.org:443/", "https://example.org"),
        ("  https://Example.org./a/  ", "https://example.org/a"),
        ("\u{00A0}\u{2003}\thttps://x.com/acme/status/1859\r\n\u{3000}", "https://x.com/acme/status/1859"),
        ("https://reddit.com/r/acme/comments/1a/b/?utm_name=iossmf", "https://reddit.com/r/acme/comments/1a/b"),
    ])
    func canonicalises(_ input: String, _ expected: String) throws {
        #expect(try PostAddress.canonical(input).get() == expected)
    }

    @Test(arguments: ["ftp://x.com/a", "not a url", "mailto:someone@example.org", "https://", ""])
    func refusesWhatIsNotAWebAddress(_ input: String) {
        #expect(throws: PostAddress.Problem.self) { try PostAddress.canonical(input).get() }
    }

    /// No post lives on a loopback, private-network or link-local address; such a report is refused saying so.
    @Test(arguments: ["https://localhost/a", "http://127.0.0.1:8080/x", "https://10.1.2.3/p", "https://172.20.0.5/p", "https://192.168.1.1/",
                      "https://169.254.169.254/latest/meta-data", "http://[::1]/x", "https://[fe80::1]/x", "https://[fd00::5]/x",
                      "https://intranet/post", "https://printer.local/x", "https://app.localhost/x", "https://0.0.0.0/", "https://100.64.0.1/"])
    func refusesPrivateAndLocalAddresses(_ input: String) {
        guard case .failure(.notPublic(let host)) = PostAddress.canonical(input) else {
            Issue.record("\(input) was not refused as private")
            return
        }
        #expect(PostAddress.Problem.notPublic(host).description.contains("a private or local address"))
    }

    @Test(arguments: ["https://8.8.8.8/x", "https://172.32.0.1/p", "https://[2606:4700::1111]/x", "https://x.com/a/status/1"])
    func acceptsPublicAddresses(_ input: String) throws {
        _ = try PostAddress.canonical(input).get()
    }

    @Test func knowsThePlatformOfAnAddress() {
        #expect(PostAddress.platform(ofCanonical: "https://x.com/a/status/1") == "x")
        #expect(PostAddress.platform(ofCanonical: "https://uk.linkedin.com/posts/a") == "linkedin")
        #expect(PostAddress.platform(ofCanonical: "https://example.org/a") == nil)
        #expect(PostAddress.platform(ofCanonical: "https://youtube.com?v=1") == "youtube")
        #expect(PostAddress.platform(ofCanonical: "https://notx.com/a") == nil)
        #expect(PostAddress.platform(ofCanonical: "https://x.com.evil.example/a") == nil)
    }
}
