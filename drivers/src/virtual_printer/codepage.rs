//! Character tables the virtual printer decodes text with (`ESC t n`): PC437, WPC1252, PC858.

const PC437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{A0}";
const PC858_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈ€ÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u{AD}±‗¾¶§÷¸°¨·¹³²■\u{A0}";
const WPC1252_HIGH: &str = "€\0‚ƒ„…†‡ˆ‰Š‹Œ\0Ž\0\0‘’“”•–—˜™š›œ\0žŸ\u{A0}¡¢£¤¥¦§¨©ª«¬\u{AD}®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ";

/// The character printed for `byte` (0x20 or above) under Epson table `table`; tables loket does
/// not know print `?` above 0x7F.
pub fn decode(table: u8, byte: u8) -> char {
    if byte < 0x80 {
        return byte as char;
    }
    let high = match table {
        0 => PC437_HIGH,
        16 => WPC1252_HIGH,
        19 => PC858_HIGH,
        _ => return '?',
    };
    match high.chars().nth(usize::from(byte - 0x80)) {
        Some('\0') | None => '?',
        Some(c) => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
        for t in [PC437_HIGH, PC858_HIGH, WPC1252_HIGH] {
            assert_eq!(t.chars().count(), 128);
        }
        assert_eq!(decode(19, 0x82), 'é');
        assert_eq!(decode(19, 0xD5), '€');
        assert_eq!(decode(19, 0xF1), '±');
        assert_eq!(decode(16, 0x96), '–');
        assert_eq!(decode(16, 0x81), '?');
        assert_eq!(decode(0, 0xE1), 'ß');
        assert_eq!(decode(45, 0xE1), '?');
        assert_eq!(decode(45, b'A'), 'A');
    }
}
