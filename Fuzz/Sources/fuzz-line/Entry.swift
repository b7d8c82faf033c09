import FirebreakFuzzing
import FuzzDriver

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    FuzzEntries.line(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

// SwiftPM links an executable's entry point as `<module>_main` and points `main` at it; libFuzzer brings
// the driver, which this hands the arguments to.
@_cdecl("fuzz_line_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { start, count in fuzzOne(start, count) }
}
