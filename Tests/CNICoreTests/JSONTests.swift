// JSONTests: parsing and printing through jansson, key order, scalars and errors.
import CNIJSON
import Testing

@Suite struct JSONTests {
    @Test func parsesNestedValuesAndKeepsKeyOrder() throws {
        let json = try JSON.parse(#"{"z":1,"a":[true,null,"s",1.5],"m":{"k":"v"}}"#)
        #expect(json.objectValue?.keys == ["z", "a", "m"])
        #expect(json["z"] == .int(1))
        #expect(json["a"] == [true, nil, "s", 1.5])
        #expect(json["m"]?["k"] == "v")
    }

    @Test func roundTripsThroughText() throws {
        let value: JSON = ["cniVersion": "1.1.0", "n": 42, "list": [1, 2], "nested": ["x": false], "u": "ü \"q\" \n"]
        let text = value.serialized()
        #expect(try JSON.parse(text) == value)
        #expect(text.hasPrefix(#"{"cniVersion":"1.1.0""#))
    }

    @Test(arguments: ["{", "{\"a\":}", "[1,]", "nul", ""])
    func rejectsInvalidText(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test func parsesScalarsAtTopLevel() throws {
        #expect(try JSON.parse("3") == .int(3))
        #expect(try JSON.parse("\"x\"") == "x")
    }

    @Test func keepsEmbeddedNulInStrings() throws {
        let v = try JSON.parse(#"{"a":"x\u0000y"}"#)
        #expect(v["a"]?.stringValue?.utf8.count == 3)
    }

    @Test func objectSubscriptReplacesInPlaceAndRemoves() {
        var o = JSONObject([("a", 1), ("b", 2)])
        o["a"] = 3
        o["c"] = 4
        o["b"] = nil
        #expect(o.keys == ["a", "c"])
        #expect(o["a"] == 3)
    }

    @Test func intValueAcceptsWholeDoubles() {
        #expect(JSON.double(1500).intValue == 1500)
        #expect(JSON.double(1.5).intValue == nil)
    }
}
