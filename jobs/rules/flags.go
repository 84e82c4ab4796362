package rules

// flagWords maps the folded yes/no words of SPEC §4 to their value: Oui/Non,
// Yes/No, Sim/Não, True/False, Vrai/Faux, Verdadeiro/Falso, 1/0, Y/N, O/N,
// S/N, and X for yes. Blank is no and is handled before the lookup; words
// are folded by foldWords, so case and accents do not matter ("NAO", "não").
func flagWords() map[string]bool {
	return map[string]bool{
		"oui": true, "yes": true, "sim": true, "true": true, "vrai": true, "verdadeiro": true,
		"1": true, "y": true, "o": true, "s": true, "x": true,
		"non": false, "no": false, "nao": false, "false": false, "faux": false, "falso": false,
		"0": false, "n": false,
	}
}
