import FirebreakCore
import Testing

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

    @Test func knowsThePlatformOfAnAddress() {
        #expect(PostAddress.platform(ofCanonical: "https://x.com/a/status/1") == "x")
        #expect(PostAddress.platform(ofCanonical: "https://uk.linkedin.com/posts/a") == "linkedin")
        #expect(PostAddress.platform(ofCanonical: "https://example.org/a") == nil)
        #expect(PostAddress.platform(ofCanonical: "https://youtube.com?v=1") == "youtube")
        #expect(PostAddress.platform(ofCanonical: "https://notx.com/a") == nil)
        #expect(PostAddress.platform(ofCanonical: "https://x.com.evil.example/a") == nil)
    }
}
