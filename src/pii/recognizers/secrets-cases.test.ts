/**
 * The secrets recognizers against other projects' labelled test strings and the vendors' documented token formats,
 * through the whole analyzer at the default floor (0.5): each true positive is found with its SECRET_<KIND> type and
 * exact span, each false positive not at all. Where our answer differs from the source's label on purpose, the case
 * keeps our expected result and `differs` says why in one line.
 *
 * Sources (test strings only, no code):
 * - GL: gitleaks/gitleaks, cmd/generate/config/rules/{aws,aws_secret,github,gcp,slack,stripe,jwt,privatekey,generic}.go
 *   (MIT licence): each rule's `tps` and `fps`; strings its generator makes at random are written here as fixed values of
 *   the same shape.
 * - DS: Yelp/detect-secrets, tests/plugins/{aws_key,aws_secret_access_key,slack,stripe_key,github_token,gcp_api,jwt,
 *   private_key,keyword}_test.py (Apache-2.0).
 * - TH: the shapes of trufflesecurity/trufflehog's cases in pkg/detectors/aws/access_keys/accesskey_test.go and
 *   pkg/detectors/github/v2/github_test.go (AGPL-3.0), written here with values of our own: nothing of theirs is copied.
 * - Docs: vendors' token formats — GitHub (github.blog 2021 "Behind GitHub's new authentication token formats":
 *   ghp_/gho_/ghu_/ghs_/ghr_ + 30 random + 6-character CRC32 checksum, github_pat_), Slack
 *   (api.slack.com/authentication/token-types: xoxb-/xoxp-/xoxa-/xoxe-/xapp-, config tokens), Stripe (docs.stripe.com/keys:
 *   sk_/rk_/pk_ with _live_/_test_), AWS (IAM unique-id prefixes AKIA/ASIA/ABIA/ACCA, base32 bodies per awsteele.com
 *   "AWS Access Key ID formats"; 40-character secret keys), Google (AIza + 35), RFC 7519 (JWT).
 */
import { describe, expect, it } from 'vitest';
import { createAnalyzer } from '../analyzer.js';
import type { EntityType } from '../types.js';

interface Case {
  /** Source tag and what the case is. */
  id: string;
  text: string;
  /** What we must report: entity type and the exact text of its span, in order; empty for a negative. */
  want: Array<[EntityType, string]>;
  /** Set when the source labels it the other way: why we answer as we do. */
  differs?: string;
}

const analyzer = createAnalyzer();

/** Secret findings as (type, start, end): no values, so a failure prints offsets only. */
function found(text: string): Array<[string, number, number]> {
  return analyzer
    .analyze(text, { minScore: 0.5 })
    .filter((f) => f.type.startsWith('SECRET_'))
    .map((f) => [f.type, f.start, f.end]);
}

function expected(c: Case): Array<[string, number, number]> {
  let from = 0;
  return c.want.map(([type, value]) => {
    const at = c.text.indexOf(value, from);
    if (at < 0) throw new TypeError(`${c.id}: expected value is not in the text`);
    from = at + value.length;
    return [type, at, at + value.length];
  });
}

// GitHub tokens with a valid checksum, built the way GitHub documents (CRC32 of the 30 random characters, base62, 6
// characters) with a CRC32 written out here, so the recognizer's own checksum code is not what makes them valid.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function githubToken(prefix: string, random30: string): string {
  let c = 0xffffffff;
  for (const ch of random30) c = CRC_TABLE[(c ^ ch.charCodeAt(0)) & 0xff]! ^ (c >>> 8);
  let v = BigInt((c ^ 0xffffffff) >>> 0);
  let sum = '';
  const a = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  while (v > 0n) {
    sum = a[Number(v % 62n)]! + sum;
    v /= 62n;
  }
  return `${prefix}_${random30}${sum.padStart(6, '0')}`;
}

const AWS: Case[] = [
  { id: 'GL aws tp', text: 'awsToken := "AKIALALEMEL33243OLIB"', want: [['SECRET_AWS_ACCESS_KEY', 'AKIALALEMEL33243OLIB']] },
  { id: 'GL aws tp shape ASIA', text: 'export AWS_ACCESS_KEY_ID=ASIAY34FZKBOKMUTVV7A', want: [['SECRET_AWS_ACCESS_KEY', 'ASIAY34FZKBOKMUTVV7A']] },
  { id: 'GL aws tp shape ABIA', text: "aws_token = 'ABIAQ6ZT4KGW3XJ2MNPE'", want: [['SECRET_AWS_ACCESS_KEY', 'ABIAQ6ZT4KGW3XJ2MNPE']] },
  { id: 'GL aws tp shape ACCA', text: 'aws: ACCAR5TW2YHK7LQMB4XD', want: [['SECRET_AWS_ACCESS_KEY', 'ACCAR5TW2YHK7LQMB4XD']] },
  { id: 'GL aws fp low entropy', text: 'key = AKIAXXXXXXXXXXXXXXXX', want: [] },
  { id: 'GL aws fp placeholder', text: 'aws_access_key: AKIAIOSFODNN7EXAMPLE', want: [] },
  { id: 'GL aws fp lowercase', text: 'msgstr "Näytä asiakirjamallikansio."', want: [] },
  { id: 'GL aws fp wrong length', text: 'TODAYINASIAASACKOFRICEFELLOVER', want: [] },
  { id: 'GL aws fp DNA', text: 'CTTCATAGGGTTCACGCTGTGTAAT-ACG--CCTGAGGC-CACA-AGGGGACTTCAGCAACCGTCGGG-GATTC-ATTGCCA-A--TGGAAGCAATC-TA-TGGGTTA-TCGCGGAGTCCGCAAAGACGGCCAGTATG', want: [] },
  { id: 'GL aws_secret tp', text: 'aws_secret_access_key = QktNjYKqqW/p9f7wPtewsgYqvBJQTdJV1tX5heQw', want: [['SECRET_AWS_SECRET_KEY', 'QktNjYKqqW/p9f7wPtewsgYqvBJQTdJV1tX5heQw']] },
  { id: 'GL aws_secret fp wrong length', text: 'aws_secret_access_key = QktNjYKqqW/p9f7wPtewsgYqvBJQTdJV1tX5heQwX', want: [['SECRET_HIGH_ENTROPY', 'QktNjYKqqW/p9f7wPtewsgYqvBJQTdJV1tX5heQwX']], differs: 'not an AWS secret key (41 characters), but a random value under a secret name is still reported, as high entropy' },
  { id: 'GL aws_secret fp invalid character', text: "lbqlN'3FW5/3AwnBoWsYIJam9w2Us4ZOH5Un8RyR", want: [] },
  { id: 'DS aws_key tp', text: 'AKIAZZZZZZZZZZZZZZZZ', want: [], differs: 'one repeated character is a placeholder, not an issued key id (gitleaks labels AKIAXXXX… so)' },
  { id: 'DS aws_key fp lowercase', text: 'akiazzzzzzzzzzzzzzzz', want: [] },
  { id: 'DS aws_key fp short', text: 'AKIAZZZ', want: [] },
  { id: 'DS aws_secret fp key id as secret', text: 'aws_secret_access_key: AKIAIOSFODNN7EXAMPLE', want: [] },
  { id: 'DS aws_secret fp key id', text: 'my_id: AKIAIOSFODNN7EXAMPLE', want: [] },
  { id: 'DS aws_secret fp not a key', text: 'aws_secret_access_key: not_secret_key', want: [] },
  { id: 'DS aws_secret fp no context', text: 'some_other_40_char_base64_str: pARhvm1GmHyvLydUtFNCCMIIu4VEyaZNo9MbR3IJ', want: [] },
  { id: 'DS aws_secret tp', text: 'some_secret_key=DcCc9H6oCkGUSp3Rhmsx8NIfVG8kO2T/3jORxuZY', want: [['SECRET_AWS_SECRET_KEY', 'DcCc9H6oCkGUSp3Rhmsx8NIfVG8kO2T/3jORxuZY']] },
  { id: 'DS aws_secret tp docs sample', text: 'secret  =   wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n', want: [], differs: "AWS's documented sample secret (…EXAMPLEKEY) is a placeholder" },
  { id: 'DS aws_secret tp docs sample after aws_secret', text: 'someGarbageInfront aws_secret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', want: [], differs: "AWS's documented sample secret is a placeholder" },
  { id: 'DS aws_secret fp unrelated name', text: 'thingy:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', want: [] },
  // The DS shape with a non-sample secret: two slashes in a random key must not read as a relative path.
  { id: 'DS aws_secret shape, bare secret', text: 'secret  =   DcCc9H6oCkGUSp3Rhmsx8NIf/G8kO2T/3jORxuZY\n', want: [['SECRET_HIGH_ENTROPY', 'DcCc9H6oCkGUSp3Rhmsx8NIf/G8kO2T/3jORxuZY']], differs: 'a bare `secret` does not name AWS: reported as a high-entropy secret rather than an AWS key' },
  { id: 'DS get_secret_access_keys TEST*10', text: "base64_keyA = 'TESTTESTTESTTESTTESTTESTTESTTESTTESTTEST'", want: [] },
  { id: 'TH accesskey tp', text: '\n\t\t\t\taws credentials{\n\t\t\t\t\tid: ABIAK8M9QW4TRZXVNB2D\n\t\t\t\t\tsecret: .9jYg7SjjPvttfbfMLZuPjII4OoaQmzBinnpy3MPN;\n\t\t\t\t}\n', want: [['SECRET_HIGH_ENTROPY', '.9jYg7SjjPvttfbfMLZuPjII4OoaQmzBinnpy3MPN']], differs: 'the id holds 9 and 8, which AWS key ids (base32) never do; the secret is reported as high entropy' },
  { id: 'TH accesskey fp lowercase id', text: '\n\t\t\t\taws credentials{\n\t\t\t\t\tid: AKIAk8M9qW4tRZXVNB2D\n\t\t\t\t\tsecret: $ZEPFq.zi0OZUrNsPqPdQ1Og7YN8gKkgboxhQGTa3VyR2;\n\t\t\t\t}\n', want: [['SECRET_HIGH_ENTROPY', '$ZEPFq.zi0OZUrNsPqPdQ1Og7YN8gKkgboxhQGTa3VyR2']], differs: 'no AWS pair, but a random value under `secret:` is a secret to a security team' },
  { id: 'TH canary-shaped pair, real-shaped secret', text: 'AKIAZEKF7LAU7UYJFDQP:QktNjYKqqW/p9f7wPtewsgYqvBJQTdJV1tX5heQw', want: [['SECRET_AWS_ACCESS_KEY', 'AKIAZEKF7LAU7UYJFDQP'], ['SECRET_AWS_SECRET_KEY', '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']] },
  { id: 'TH canary-shaped pair', text: 'AKIAZEKF7LAU7UYJFDQP:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', want: [['SECRET_AWS_ACCESS_KEY', 'AKIAZEKF7LAU7UYJFDQP']], differs: 'the secret half is AWS\'s documented sample, a placeholder; the key id is real-shaped' },
];

const GH = {
  ghp: githubToken('ghp', 'Hq3vN8xKpL2mZr7TbW9cYd4FgJs6Ae'),
  gho: githubToken('gho', 'r7TbW9cYd4FgJs6AeHq3vN8xKpL2mZ'),
  ghu: githubToken('ghu', 'Zr7TbW9cHq3vN8xKpL2mYd4FgJs6Ae'),
  ghs: githubToken('ghs', 'N8xKpL2mZr7TbW9cYd4FgJs6AeHq3v'),
  ghr: githubToken('ghr', 'FgJs6AeHq3vN8xKpL2mZr7TbW9cYd4'),
};
const GITHUB: Case[] = [
  ...Object.entries(GH).map(([p, t]): Case => ({ id: `GL github tp shape ${p} (checksum valid)`, text: `githubToken := "${t}"`, want: [['SECRET_GITHUB_TOKEN', t]] })),
  { id: 'GL github fine-grained tp shape', text: 'GITHUB_TOKEN=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', want: [['SECRET_GITHUB_TOKEN', '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']] },
  ...['ghp', 'gho', 'ghu', 'ghs', 'ghr'].map((p): Case => ({ id: `GL github fp ${p} placeholder`, text: `${p}_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`, want: [] })),
  { id: 'GL github fp fine-grained placeholder', text: 'github_pat_xxxxxxxxxxxxxxxxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', want: [] },
  { id: 'GL github tp random 36 (checksum fails)', text: 'githubToken := "ghp_Hq3vN8xKpL2mZr7TbW9cYd4FgJs6Ae0Jk9k5"', want: [], differs: "gitleaks' generated tokens are random: GitHub's CRC32 checksum fails, so GitHub never issued them" },
  { id: 'DS github_token tp', text: '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', want: [['SECRET_GITHUB_TOKEN', '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']] },
  { id: 'DS github_token fp other prefix', text: 'foo_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx', want: [] },
  { id: 'DS github_token fp word', text: 'foo', want: [] },
  { id: 'TH github fp raw URL with a commit hash', text: 'https://raw.github.com/example/13798fcfc5c1f702640db7ba53a1b88aa8a29c11/include/base64.js', want: [] },
];

const GOOGLE: Case[] = [
  { id: 'DS gcp tp (Google docs key)', text: 'AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe', want: [['SECRET_GOOGLE_API_KEY', 'AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe']] },
  { id: 'DS gcp fp spaced', text: 'AIZA SNDSAUDHS ASASA DSIAOSIA', want: [] },
  { id: 'DS gcp tp OAuth client id', text: '625842392116-saklt1i2jf2bjbtf6gneknq3lrgg96ca.apps.googleusercontent.com', want: [], differs: 'an OAuth client id is a public identifier (it ships in every sign-in page), not a credential' },
  { id: 'GL gcp tp ending in -', text: 'key: AIzaSyNHxIf32IQ1a1yjl3ZJIqKZqzLAK1XhDk-', want: [['SECRET_GOOGLE_API_KEY', 'AIzaSyNHxIf32IQ1a1yjl3ZJIqKZqzLAK1XhDk-']] },
  { id: 'GL gcp tp shape', text: 'gcpKey := "AIzaSyC3kR7pQ2wX9mN4vB8tL6yJ1hG5fD0sZ-a"', want: [['SECRET_GOOGLE_API_KEY', 'AIzaSyC3kR7pQ2wX9mN4vB8tL6yJ1hG5fD0sZ-a']] },
  { id: 'GL gcp fp text boundary start', text: 'GWw4hjABFzZCGiRpmlDyDdo87Jn9BN9THUA47muVRNunLxsa82tMAdvmrhOqNkRKiYMEAFbTJAIzaTesb6Tscfcni8vIpWZqNCXFDFslJtVSvFDq', want: [] },
  { id: 'GL gcp fp text boundary end', text: 'AIzaTesb6Tscfcni8vIpWZqNCXFDFslJtVSvFDqabcd123', want: [] },
  { id: 'GL gcp fp low entropy', text: 'apiKey: "AIzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"', want: [] },
  { id: 'GL gcp fp wrong case', text: 'AIZASYCO2CXRMC9ELSKLHLHRMBSWDEVEDZTLO2O', want: [] },
  { id: 'GL gcp fp sequential sample key', text: 'AIzaSyabcdefghijklmnopqrstuvwxyz1234567', want: [] },
  { id: 'GL gcp fp firebase SDK sample', text: 'AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs', want: [['SECRET_GOOGLE_API_KEY', 'AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs']], differs: 'a real-shaped key only a list of known strings tells apart: that is the allow list, config not code' },
  { id: 'GL gcp fp firebase SDK sample 2', text: 'AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU', want: [['SECRET_GOOGLE_API_KEY', 'AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU']], differs: 'same: known strings belong in the allow list' },
];

const SLACK: Case[] = [
  { id: 'GL slack bot tp', text: '"bot_token1": "xoxb-781236542736-2364535789652-GkwFDQoHqzXDVsC6GzqYUypD"', want: [['SECRET_SLACK_TOKEN', 'xoxb-781236542736-2364535789652-GkwFDQoHqzXDVsC6GzqYUypD']] },
  { id: 'GL slack bot tp 2', text: '"bot_token2": "xoxb-263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1MBS"', want: [['SECRET_SLACK_TOKEN', 'xoxb-263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1MBS']] },
  { id: 'GL slack bot tp 3', text: '"bot_token3": "xoxb-4614724432022-5152386766518-O5WzjWGLG0wcCm2WPrjEmnys"', want: [['SECRET_SLACK_TOKEN', 'xoxb-4614724432022-5152386766518-O5WzjWGLG0wcCm2WPrjEmnys']] },
  { id: 'GL slack bot fp x', text: 'xoxb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx', want: [] },
  { id: 'GL slack bot fp short', text: 'xoxb-xxx', want: [] },
  { id: 'GL slack bot fp short digits', text: 'xoxb-12345-abcd234', want: [] },
  { id: 'GL slack bot fp words', text: 'xoxb-xoxb-my-bot-token', want: [] },
  { id: 'GL slack user tp', text: '"user_token1": "xoxp-41684372915-1320496754-45609968301-e708ba56e1517a99f6b5fb07349476ef"', want: [['SECRET_SLACK_TOKEN', 'xoxp-41684372915-1320496754-45609968301-e708ba56e1517a99f6b5fb07349476ef']] },
  { id: 'GL slack user tp 2', text: '"user_token2": "xoxp-283316862324-298911817009-298923149681-44f585044dace54f5701618e97cd1c0b"', want: [['SECRET_SLACK_TOKEN', 'xoxp-283316862324-298911817009-298923149681-44f585044dace54f5701618e97cd1c0b']] },
  { id: 'GL slack user tp 5', text: '"user_token5": "xoxp-4614724432022-4621207627011-5182682871568-1ddad9823e8528ad0f4944dfa3c6fc6c"', want: [['SECRET_SLACK_TOKEN', 'xoxp-4614724432022-4621207627011-5182682871568-1ddad9823e8528ad0f4944dfa3c6fc6c']] },
  {
    id: 'GL slack user tp xoxe in a file URL',
    text: '"url_private": "https:\\/\\/files.slack.com\\/files-pri\\/T04MCQMEXQ9-F04MAA1PKE3\\/image.png?t=xoxe-4726837507825-4848681849303-4856614048758-e0b1f3d4cb371f92260edb0d9444d206"',
    want: [['SECRET_SLACK_TOKEN', 'xoxe-4726837507825-4848681849303-4856614048758-e0b1f3d4cb371f92260edb0d9444d206']],
  },
  { id: 'GL slack user fp docs URL', text: 'https://docs.google.com/document/d/1W7KCxOxP-1Fy5EyF2lbJGE2WuKmu5v0suYqoHas1jRM', want: [] },
  { id: 'GL slack user fp one part', text: '"token1": "xoxp-1234567890"', want: [] },
  { id: 'GL slack user fp X', text: '"token2": "xoxp-XXXXXXXXXX-XXXXXXXXXX-XXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"', want: [] },
  { id: 'GL slack user fp short ids', text: '"token3": "xoxp-1234-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d"', want: [] },
  { id: 'GL slack user fp hashes', text: '"token4": "xoxp-572370529330-573807301142-572331691188-####################"', want: [] },
  { id: 'GL slack app tp', text: '"token1": "xapp-1-A052FGTS2DL-5171572773297-610b6a11f4b7eb819e87b767d80e6575a3634791acb9a9ead051da879eb5b55e"', want: [['SECRET_SLACK_TOKEN', 'xapp-1-A052FGTS2DL-5171572773297-610b6a11f4b7eb819e87b767d80e6575a3634791acb9a9ead051da879eb5b55e']] },
  { id: 'GL slack app tp id not A', text: '"token2": "xapp-1-IEMF8IMY1OQ-4037076220459-85c370b433e366de369c4ef5abdf41253519266982439a75af74a3d68d543fb6"', want: [['SECRET_SLACK_TOKEN', 'xapp-1-IEMF8IMY1OQ-4037076220459-85c370b433e366de369c4ef5abdf41253519266982439a75af74a3d68d543fb6']] },
  {
    id: 'GL slack config access tp',
    text: '"access_token1": "xoxe.xoxp-1-Mi0yLTM0MTQwNDE0MDE3Ni0zNjU5NDY0Njg4MTctNTE4MjA3NTQ5NjA4MC01NDEyOTYyODY5NzUxLThhMTBjZmI1ZWIzMGIwNTg0ZDdmMDI5Y2UxNzVlZWVhYzU2ZWQyZTZiODNjNDZiMGUxMzRlNmNjNDEwYmQxMjQ"',
    want: [['SECRET_SLACK_TOKEN', 'xoxe.xoxp-1-Mi0yLTM0MTQwNDE0MDE3Ni0zNjU5NDY0Njg4MTctNTE4MjA3NTQ5NjA4MC01NDEyOTYyODY5NzUxLThhMTBjZmI1ZWIzMGIwNTg0ZDdmMDI5Y2UxNzVlZWVhYzU2ZWQyZTZiODNjNDZiMGUxMzRlNmNjNDEwYmQxMjQ']],
  },
  {
    id: 'GL slack config access tp xoxb',
    text: '"access_token4": "xoxe.xoxb-1-Mi0yLTMxNzcwMjQ0MTcxMy0zNjU5NDY0Njg4MTctNTE1ODE1MjY5MTcxNC01MTU4MDI0MTgyOTc5LWRmY2YwY2U4ODhhNzY5ZGU5MTAyNDU4MDJjMGQ0ZDliMTZhMjNkMmEyYzliNjkzMDRlN2VjZTI4MWNiMzRkNGQ"',
    want: [['SECRET_SLACK_TOKEN', 'xoxe.xoxb-1-Mi0yLTMxNzcwMjQ0MTcxMy0zNjU5NDY0Njg4MTctNTE1ODE1MjY5MTcxNC01MTU4MDI0MTgyOTc5LWRmY2YwY2U4ODhhNzY5ZGU5MTAyNDU4MDJjMGQ0ZDliMTZhMjNkMmEyYzliNjkzMDRlN2VjZTI4MWNiMzRkNGQ']],
  },
  { id: 'GL slack config fp words', text: 'xoxe.xoxp-1-SlackAppConfigurationAccessTokenHere', want: [] },
  { id: 'GL slack config fp placeholder', text: 'xoxe.xoxp-1-RANDOMSTRINGHERE', want: [] },
  { id: 'GL slack config fp initial', text: 'xoxe.xoxp-1-initial', want: [] },
  {
    id: 'GL slack config refresh tp',
    text: '"refresh_token1": "xoxe-1-My0xLTMxNzcwMjQ0MTcxMy01MTU4MTUyNjkxNzE0LTUxODE4NDI0MDY3MzYtMjA5MGFkOTFlZThkZWE2OGFlZDYwYWJjODNhYzAxYjA5ZjVmODBhYjgzN2QyNDdjOTNlOGY5NTg2YWM1OGM4Mg"',
    want: [['SECRET_SLACK_TOKEN', 'xoxe-1-My0xLTMxNzcwMjQ0MTcxMy01MTU4MTUyNjkxNzE0LTUxODE4NDI0MDY3MzYtMjA5MGFkOTFlZThkZWE2OGFlZDYwYWJjODNhYzAxYjA5ZjVmODBhYjgzN2QyNDdjOTNlOGY5NTg2YWM1OGM4Mg']],
  },
  { id: 'GL slack config refresh fp', text: 'xoxe-1-xxx', want: [] },
  { id: 'GL slack config refresh fp uppercase', text: 'XOxE-RROAmw, Home and Garden, 5:24, 20120323', want: [] },
  { id: 'GL slack legacy bot tp', text: '"bot_token1": "xoxb-263594206564-FGqddMF8t08v8N7Oq4i57vs1"', want: [['SECRET_SLACK_TOKEN', 'xoxb-263594206564-FGqddMF8t08v8N7Oq4i57vs1']] },
  { id: 'GL slack legacy bot tp 4', text: '"bot_token4": "xoxb-123456789012-Xw937qtWSXJss1lFaKe"', want: [['SECRET_SLACK_TOKEN', 'xoxb-123456789012-Xw937qtWSXJss1lFaKe']] },
  { id: 'GL slack legacy bot tp 8', text: '"bot_token8": "xoxb-159279836768-FOst5DLfEzmQgkz7cte5qiI"', want: [['SECRET_SLACK_TOKEN', 'xoxb-159279836768-FOst5DLfEzmQgkz7cte5qiI']] },
  { id: 'GL slack legacy bot fp x', text: 'xoxb-xxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx', want: [] },
  { id: 'GL slack legacy bot fp name', text: 'xoxb-Slack_BOT_TOKEN', want: [] },
  { id: 'GL slack legacy bot fp words', text: 'xoxb-abcdef-abcdef', want: [] },
  { id: 'GL slack workspace tp', text: '"access_token": "xoxa-2-511111111-31111111111-3111111111111-e039d02840a0b9379c"', want: [['SECRET_SLACK_TOKEN', 'xoxa-2-511111111-31111111111-3111111111111-e039d02840a0b9379c']] },
  { id: 'GL slack workspace fp repo URL', text: 'https://github.com/xoxa-nyc/xoxa-nyc.github.io/blob/master/README.md', want: [] },
  { id: 'GL slack legacy tp', text: '"access_token1": "xoxs-3206092076-3204538285-3743137121-836b042620"', want: [['SECRET_SLACK_TOKEN', 'xoxs-3206092076-3204538285-3743137121-836b042620']] },
  { id: 'GL slack legacy tp long', text: '"access_token3": "xoxs-420083410720-421837374423-440811613314-977844f625b707d5b0b268206dbc92cbc85feef3e71b08e44815a8e6e7657190"', want: [['SECRET_SLACK_TOKEN', 'xoxs-420083410720-421837374423-440811613314-977844f625b707d5b0b268206dbc92cbc85feef3e71b08e44815a8e6e7657190']] },
  { id: 'GL slack legacy tp xoxo', text: '"access_token7": "xoxo-523423-234243-234233-e039d02840a0b9379c"', want: [['SECRET_SLACK_TOKEN', 'xoxo-523423-234243-234233-e039d02840a0b9379c']] },
  { id: 'GL slack legacy fp image URL', text: 'https://indieweb.org/images/3/35/2018-250-xoxo-indieweb-1.jpg', want: [] },
  { id: 'GL slack legacy fp image URL 2', text: 'https://lh3.googleusercontent.com/-tWXjX3LUD6w/Ua4La_N5E2I/AAAAAAAAACg/qcm19xbEYa4/s640/EXO-XOXO-teaser-exo-k-34521098-720-516.jpg', want: [] },
  { id: 'GL slack webhook tp http', text: 'http://hooks.slack.com/services/T024TTTTT/BBB72BBL/AZAAA9u0pA4ad666eMgbi555', want: [['SECRET_SLACK_TOKEN', 'http://hooks.slack.com/services/T024TTTTT/BBB72BBL/AZAAA9u0pA4ad666eMgbi555']] },
  { id: 'GL slack webhook tp https', text: 'https://hooks.slack.com/services/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', want: [['SECRET_SLACK_TOKEN', 'https://hooks.slack.com/services/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']] },
  { id: 'GL slack webhook tp no scheme', text: 'webhook: hooks.slack.com/services/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', want: [['SECRET_SLACK_TOKEN', 'hooks.slack.com/services/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']] },
  { id: 'GL slack workflow tp', text: 'https://hooks.slack.com/workflows/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', want: [['SECRET_SLACK_TOKEN', 'https://hooks.slack.com/workflows/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']] },
  { id: 'GL slack workflow tp http', text: 'http://hooks.slack.com/workflows/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', want: [['SECRET_SLACK_TOKEN', 'http://hooks.slack.com/workflows/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']] },
  { id: 'DS slack tp xoxp', text: 'xoxp-523423-234243-234233-e039d02840a0b9379c', want: [['SECRET_SLACK_TOKEN', 'xoxp-523423-234243-234233-e039d02840a0b9379c']] },
  { id: 'DS slack tp xoxo', text: 'xoxo-523423-234243-234233-e039d02840a0b9379c', want: [['SECRET_SLACK_TOKEN', 'xoxo-523423-234243-234233-e039d02840a0b9379c']] },
  { id: 'DS slack tp xoxs', text: 'xoxs-523423-234243-234233-e039d02840a0b9379c', want: [['SECRET_SLACK_TOKEN', 'xoxs-523423-234243-234233-e039d02840a0b9379c']] },
  { id: 'DS slack tp xoxa', text: 'xoxa-511111111-31111111111-3111111111111-e039d02840a0b9379c', want: [['SECRET_SLACK_TOKEN', 'xoxa-511111111-31111111111-3111111111111-e039d02840a0b9379c']] },
  { id: 'DS slack tp xoxa-2', text: 'xoxa-2-511111111-31111111111-3111111111111-e039d02840a0b9379c', want: [['SECRET_SLACK_TOKEN', 'xoxa-2-511111111-31111111111-3111111111111-e039d02840a0b9379c']] },
  { id: 'DS slack tp xoxr', text: 'xoxr-523423-234243-234233-e039d02840a0b9379c', want: [['SECRET_SLACK_TOKEN', 'xoxr-523423-234243-234233-e039d02840a0b9379c']] },
  { id: 'DS slack tp legacy bot', text: 'xoxb-34532454-e039d02840a0b9379c', want: [['SECRET_SLACK_TOKEN', 'xoxb-34532454-e039d02840a0b9379c']] },
  { id: 'DS slack tp webhook placeholder', text: 'https://hooks.slack.com/services/Txxxxxxxx/Bxxxxxxxx/xxxxxxxxxxxxxxxxxxxxxxxx', want: [], differs: 'a placeholder of x characters is no webhook' },
  { id: 'Docs slack webhook sample', text: 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX', want: [] },
];

const STRIPE: Case[] = [
  { id: 'DS stripe tp sk_live', text: 'sk_live_ReTllpYQYfIZu2Jnf2lAPFjD', want: [['SECRET_STRIPE_KEY', 'sk_live_ReTllpYQYfIZu2Jnf2lAPFjD']] },
  { id: 'DS stripe tp rk_live', text: 'rk_live_5TcWfjKmJgpql9hjpRnwRXbT', want: [['SECRET_STRIPE_KEY', 'rk_live_5TcWfjKmJgpql9hjpRnwRXbT']] },
  { id: 'DS stripe fp publishable', text: 'pk_live_j5krY8XTgIcDaHDb3YrsAfCl', want: [] },
  { id: 'DS stripe fp bare prefix', text: 'sk_live_', want: [] },
  { id: 'GL stripe tp sk_test', text: 'sk_test_51OuEMLAlTWGaDypq4P5cuDHbuKeG4tAGPYHJpEXQ7zE8mKK3jkhTFPvCxnSSK5zB5EQZrJsYdsatNmAHGgb0vSKD00GTMSWRHs', want: [['SECRET_STRIPE_KEY', 'sk_test_51OuEMLAlTWGaDypq4P5cuDHbuKeG4tAGPYHJpEXQ7zE8mKK3jkhTFPvCxnSSK5zB5EQZrJsYdsatNmAHGgb0vSKD00GTMSWRHs']] },
  { id: 'GL stripe tp shape sk_test', text: 'stripeToken := "sk_test_4eC39HqLyjWDarjtT1zdp7dcQ8mZ"', want: [['SECRET_STRIPE_KEY', 'sk_test_4eC39HqLyjWDarjtT1zdp7dcQ8mZ']] },
  { id: 'GL stripe tp rk_prod', text: 'rk_prod_51OuEMLAlTWGaDypquDn9aZigaJOsa9NR1w1BxZXs9JlYsVVkv5XDu6aLmAxwt5Tgun5WcSwQMKzQyqV16c9iD4sx00BRijuoon', want: [], differs: "Stripe issues only _live_ and _test_ keys (docs.stripe.com/keys): `_prod_` is no Stripe key prefix" },
  { id: 'GL stripe fp task_test', text: 'nonMatchingToken := "task_test_R7mQ2xK9pL4vB8nT3wZ6yH1jC5fD0s"', want: [['SECRET_HIGH_ENTROPY', 'task_test_R7mQ2xK9pL4vB8nT3wZ6yH1jC5fD0s']], differs: 'no Stripe key, right; but a random value assigned to a token variable is reported as high entropy' },
];

// RFC 7519's jwt.io sample and tokens from the sources.
const JWT_IO = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const JWT: Case[] = [
  { id: 'DS jwt tp', text: JWT_IO, want: [['SECRET_JWT', JWT_IO]] },
  {
    id: 'DS jwt tp unicode claims',
    text: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IsWww6HFkcOtIMOWxZHDqcOoIiwiaWF0IjoxNTE2MjM5MDIyfQ.k5HibI_uLn_RTuPcaCNkaVaQH2y5q6GvJg8GPpGMRwQ',
    want: [['SECRET_JWT', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IsWww6HFkcOtIMOWxZHDqcOoIiwiaWF0IjoxNTE2MjM5MDIyfQ.k5HibI_uLn_RTuPcaCNkaVaQH2y5q6GvJg8GPpGMRwQ']],
  },
  { id: 'DS jwt tp no signature part', text: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ', want: [], differs: 'two parts are no JWS (RFC 7515 compact form has three): an HS256 token without its signature authenticates nothing' },
  { id: 'DS jwt tp CRLF header, two parts', text: 'eyJ0eXAiOiJKV1QiLA0KImFsZyI6IkhTMjU2In0.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ', want: [], differs: 'same: no signature part' },
  { id: 'DS jwt fp decoded', text: '{"alg":"HS256","typ":"JWT"}.{"name":"Jon Doe"}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c', want: [] },
  { id: 'DS jwt fp not json', text: 'bm90X3ZhbGlkX2pzb25fYXRfYWxs.bm90X3ZhbGlkX2pzb25fYXRfYWxs.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c', want: [] },
  { id: 'DS jwt fp header only', text: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', want: [] },
  { id: 'DS jwt fp word', text: 'jwt', want: [] },
  { id: 'DS jwt fp random bytes in header', text: 'eyJhbasdGciOiJIUaddasdasfsasdasdzI1NiIasdsInR5cCI6IkpXVCasdJasd9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c', want: [] },
  { id: 'DS jwt fp truncated header', text: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c', want: [] },
  { id: 'DS jwt fp short', text: 'eyJAAAA.eyJBBB', want: [] },
  { id: 'DS jwt fp short 3', text: 'eyJBB.eyJCC.eyJDDDD', want: [] },
  {
    id: 'GL jwt tp python CLI',
    text: 'python examples/cli.py eyJhbGciOiJIUzI1NiJ9.eyJJc3N1ZXIiOiJJc3N1ZXIiLCJVc2VybmFtZSI6IkJhZFNlY3JldHMiLCJleHAiOjE1OTMxMzM0ODMsImlhdCI6MTQ2NjkwMzA4M30.ovqRikAo_0kKJ0GVrAwQlezymxrLGjcEiW_s3UJMMCo',
    want: [['SECRET_JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJJc3N1ZXIiOiJJc3N1ZXIiLCJVc2VybmFtZSI6IkJhZFNlY3JldHMiLCJleHAiOjE1OTMxMzM0ODMsImlhdCI6MTQ2NjkwMzA4M30.ovqRikAo_0kKJ0GVrAwQlezymxrLGjcEiW_s3UJMMCo']],
  },
  {
    id: 'GL jwt tp bearer in JSON',
    text: '"Authorization": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VybmFtZTpib2IifQ.HcfCW67Uda-0gz54ZWTqmtgJnZeNem0Q757eTa9EZuw"',
    want: [['SECRET_JWT', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VybmFtZTpib2IifQ.HcfCW67Uda-0gz54ZWTqmtgJnZeNem0Q757eTa9EZuw']],
  },
  {
    id: 'GL jwt tp bearer value',
    text: '"value": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE1ODk1ODU1NjN9.PtfDS1niGoZ7pV6kplI-_q1fVKLnknQ3IwcrLZhoVCU",',
    want: [['SECRET_JWT', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE1ODk1ODU1NjN9.PtfDS1niGoZ7pV6kplI-_q1fVKLnknQ3IwcrLZhoVCU']],
  },
  {
    id: 'GL jwt tp header with iat/exp',
    text: "//                  authorization: 'eyJhbGciOiJIUzUxMiIsImlhdCI6MTU3Njk5Njc5OSwiZXhwIjoxNTg0ODU5MTk5fQ.eyJ1aWQiOjQ1NzQyN30.0ei5UE6OgLBzN2_IS7xUIbIfW_S1Wzl42q2UeusbboxuzvctO_4Mz6YRr6f0PBLUVZMETxt8F0_4-yqIJ3_kUQ',",
    want: [['SECRET_JWT', 'eyJhbGciOiJIUzUxMiIsImlhdCI6MTU3Njk5Njc5OSwiZXhwIjoxNTg0ODU5MTk5fQ.eyJ1aWQiOjQ1NzQyN30.0ei5UE6OgLBzN2_IS7xUIbIfW_S1Wzl42q2UeusbboxuzvctO_4Mz6YRr6f0PBLUVZMETxt8F0_4-yqIJ3_kUQ']],
  },
  {
    id: 'GL jwt tp in a URL query',
    text: 'https://dai2-playlistserver.aws.syncbak.com/cpl/20980038/dai2v5/1.0/7b2264657669636554797065223a387d/master.m3u8?access_token=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IkdyYXkyMDE2MDgyOSJ9.eyJtaWQiOiIyMDk4MDAzOCIsImNpZCI6MjE5MDMsInNpZCI6MTU4LCJtZDUiOiIwN2QxMmRjNjAwOTM2MGI0MmY3NjNkNTRiMWIwZjI1NCIsImlhdCI6MTY2MDkxMzU2MCwiZXhwIjoxNjkyNDQ5NTYwLCJpc3MiOiJTeW5jYmFrIChURykifQ.JrWVgwzIn_RcNuWhkzIjr1i4qjXU1v4n0KFrSzoTQvQ',
    want: [['SECRET_JWT', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IkdyYXkyMDE2MDgyOSJ9.eyJtaWQiOiIyMDk4MDAzOCIsImNpZCI6MjE5MDMsInNpZCI6MTU4LCJtZDUiOiIwN2QxMmRjNjAwOTM2MGI0MmY3NjNkNTRiMWIwZjI1NCIsImlhdCI6MTY2MDkxMzU2MCwiZXhwIjoxNjkyNDQ5NTYwLCJpc3MiOiJTeW5jYmFrIChURykifQ.JrWVgwzIn_RcNuWhkzIjr1i4qjXU1v4n0KFrSzoTQvQ']],
  },
  {
    id: 'GL jwt tp env line',
    text: '      # The following default key is generated by the local Supabase start and doesn\'t change\n\t\t- SUPABASE_SERVICE_ROLE_KEY=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0',
    want: [['SECRET_JWT', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0']],
  },
  {
    id: 'GL jwt tp bearer header',
    text: 'Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhIjoxLCJiIjoyLCJjIjozfQ.hxhGCCCmGV9nT1slief1WgEsOsfdnlVizNrODxfh1M8',
    want: [['SECRET_JWT', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhIjoxLCJiIjoyLCJjIjozfQ.hxhGCCCmGV9nT1slief1WgEsOsfdnlVizNrODxfh1M8']],
  },
  {
    id: 'GL jwt tp alg none',
    text: 'String tokenWithNoneAlg = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0LXVzZXIifQ.";',
    want: [['SECRET_JWT', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0LXVzZXIifQ.']],
  },
  {
    id: 'GL jwt tp alg none in a header',
    text: "# Req: Invoke-RestMethod -Uri 'http://localhost:8085/users' -Headers @{ 'X-API-KEY' = 'eyJhbGciOiJub25lIn0.eyJ1c2VybmFtZSI6Im1vcnR5Iiwic3ViIjoiMTIzIn0.' }",
    want: [['SECRET_JWT', 'eyJhbGciOiJub25lIn0.eyJ1c2VybmFtZSI6Im1vcnR5Iiwic3ViIjoiMTIzIn0.']],
  },
  {
    id: 'GL jwt tp corrupted header',
    text: 'JWT := eyJhbGciOieeeiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.a_5icKBDo-8EjUlrfvz2k2k-FYaindQ0DEYNrlsnRG0',
    want: [],
    differs: 'the header does not decode to JSON: no server would accept the token',
  },
];

const PPK = [
  'PuTTY-User-Key-File-2: ssh-rsa',
  'Encryption: none',
  'Comment: rsa-key-20240101',
  'Public-Lines: 1',
  'AAAAB3NzaC1yc2EAAAABJQAAAQEAn6/O8li+SX4m98LLYt/PKSzEmQ++ZBD7Loh9',
  'Private-Lines: 2',
  'MIIEpQIBAAKCAQEAn6/O8li+SX4m98LLYt/PKSzEmQ++ZBD7Loh9P13f4yQ92EF3',
  'yxR5MsXFu9PRsrYQA7/4UTPHiC4y2sAVCBg4C2yyBpUEtMQjyCESi6Y=',
  'Private-MAC: 5d3c0b8f1e2a4c6d7e9f0a1b2c3d4e5f6a7b8c9d',
].join('\n');
const PRIVATE_KEYS: Case[] = [
  {
    id: 'GL private-key tp pkcs8',
    text: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDAC4AWkdwKYSd8\nKs14IReLcYgADhoXk56ZzXI=\n-----END PRIVATE KEY-----',
    want: [['SECRET_PRIVATE_KEY', '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDAC4AWkdwKYSd8\nKs14IReLcYgADhoXk56ZzXI=\n-----END PRIVATE KEY-----']],
  },
  {
    id: 'GL private-key tp rsa',
    text: '-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEAn6/O8li+SX4m98LLYt/PKSzEmQ++ZBD7Loh9P13f4yQ92EF3\nyxR5MsXFu9PRsrYQA7/4UTPHiC4y2sAVCBg4C2yyBpUEtMQjyCESi6Y=\n-----END RSA PRIVATE KEY-----\n',
    want: [['SECRET_PRIVATE_KEY', '-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEAn6/O8li+SX4m98LLYt/PKSzEmQ++ZBD7Loh9P13f4yQ92EF3\nyxR5MsXFu9PRsrYQA7/4UTPHiC4y2sAVCBg4C2yyBpUEtMQjyCESi6Y=\n-----END RSA PRIVATE KEY-----']],
  },
  {
    id: 'GL private-key tp pgp',
    text: '-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQWGBGSVV4YBDAClvRnxezIRy2Yv7SFlzC0iFiRF/O/jePSw+XYhvcrTaqSYTGic\n=8xQN\n-----END PGP PRIVATE KEY BLOCK-----',
    want: [['SECRET_PRIVATE_KEY', '-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQWGBGSVV4YBDAClvRnxezIRy2Yv7SFlzC0iFiRF/O/jePSw+XYhvcrTaqSYTGic\n=8xQN\n-----END PGP PRIVATE KEY BLOCK-----']],
  },
  {
    // detect-secrets' private-key plugin lists this header; the body line is the RSA sample's.
    id: 'DS private-key header SSH2 ENCRYPTED',
    text: '-----BEGIN SSH2 ENCRYPTED PRIVATE KEY-----\nMIIEpQIBAAKCAQEAn6/O8li+SX4m98LLYt/PKSzEmQ++ZBD7Loh9P13f4yQ92EF3\n-----END SSH2 ENCRYPTED PRIVATE KEY-----',
    want: [['SECRET_PRIVATE_KEY', '-----BEGIN SSH2 ENCRYPTED PRIVATE KEY-----\nMIIEpQIBAAKCAQEAn6/O8li+SX4m98LLYt/PKSzEmQ++ZBD7Loh9P13f4yQ92EF3\n-----END SSH2 ENCRYPTED PRIVATE KEY-----']],
  },
  {
    // detect-secrets' private-key plugin lists PuTTY's header; the file layout is PuTTY's .ppk (body lines from the RSA sample).
    id: 'DS private-key PuTTY file',
    text: `${PPK}\nnext line`,
    want: [['SECRET_PRIVATE_KEY', PPK]],
  },
  {
    // A Google service-account JSON file (gitleaks' gcp-service-account rule keys on its "type"): the PEM sits in a JSON
    // string with escaped newlines; body lines from gitleaks' PKCS#8 sample.
    id: 'GL gcp service account JSON private_key',
    text: '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDAC4AWkdwKYSd8\\nKs14IReLcYgADhoXk56ZzXI=\\n-----END PRIVATE KEY-----\\n"}',
    want: [['SECRET_PRIVATE_KEY', '-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDAC4AWkdwKYSd8\\nKs14IReLcYgADhoXk56ZzXI=\\n-----END PRIVATE KEY-----']],
  },
  { id: 'DS private-key PuTTY without material', text: 'PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPrivate-Lines: 2\n<paste the key>\nhere\n', want: [] },
  { id: 'GL private-key fp no material', text: '-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----', want: [] },
  { id: 'GL private-key fp empty', text: '-----BEGIN OPENSSH PRIVATE KEY----------END OPENSSH PRIVATE KEY-----', want: [] },
  { id: 'DS private-key tp prose body', text: '-----BEGIN RSA PRIVATE KEY-----\nsuper secret private key here\n-----END RSA PRIVATE KEY-----', want: [], differs: 'no key material between the lines: a sample naming the format leaks nothing' },
  { id: 'DS private-key tp header then prose', text: 'some text here\n-----BEGIN PRIVATE KEY-----\nyabba dabba doo', want: [], differs: 'same: a header followed by prose, no key material' },
  {
    id: 'GL jwt-base64 fp PGP public key block',
    text: '-----BEGIN PGP PUBLIC KEY BLOCK-----\nVersion: GnuPG/MacGPG2 v2\nComment: GPGTools - https://gpgtools.org\n\nmQENBFOrMNcBCAC+gLI4s3bUkobS5NpOQbWfjWXbqC0Ixpc5bZYDOvsmfstmswna\nUWUXkRH9RONabzrAu4TGvW0f5DkC2fuWWHJhZWEccn+VE83+avMZN4/mzldSXPNX\n=mIC1\n-----END PGP PUBLIC KEY BLOCK-----',
    want: [],
  },
];

const GENERIC: Case[] = [
  { id: 'GL generic tp access_token', text: "'access_token': 'eyJ0eXAioiJKV1slS3oASx=='", want: [['SECRET_HIGH_ENTROPY', 'eyJ0eXAioiJKV1slS3oASx==']] },
  { id: 'GL generic tp api token', text: 'some_api_token_123 = "Vq7Lr2mX9kT4pB8nZ3wC6yH1jF5dS0gA7eU2iO4tR9vM3bN8cK6xL1zQ5hP0"', want: [['SECRET_HIGH_ENTROPY', 'Vq7Lr2mX9kT4pB8nZ3wC6yH1jF5dS0gA7eU2iO4tR9vM3bN8cK6xL1zQ5hP0']] },
  { id: 'GL generic tp basic auth', text: '"user_auth": "am9obmRvZTpkMDY5NGIxYi1jMTcxLTQ4ODYt+TMyYS0wMmUwOWQ1/mIwNjc="', want: [['SECRET_HIGH_ENTROPY', 'am9obmRvZTpkMDY5NGIxYi1jMTcxLTQ4ODYt+TMyYS0wMmUwOWQ1/mIwNjc=']] },
  { id: 'GL generic tp hex credentials', text: '"credentials" : "0afae57f3ccfd9d7f5767067bc48b30f719e271ba470488056e37ab35d4b6506"', want: [['SECRET_HIGH_ENTROPY', '0afae57f3ccfd9d7f5767067bc48b30f719e271ba470488056e37ab35d4b6506']] },
  { id: 'GL generic tp creds', text: 'creds = K8mR2vX7pL4qT9wB3nZ6yH1jC5f', want: [['SECRET_HIGH_ENTROPY', 'K8mR2vX7pL4qT9wB3nZ6yH1jC5f']] },
  { id: 'GL generic tp private-key', text: 'private-key: 9fK2-mQ7x.Lp4=vR8_tB3nZ6wY1jH5cD0gS7aE2uI9oP4kM8xN3bV6zC1lF5qW0rT7yU2eA9sG4dJ8hK3mL6pQ1vX5nB0zR7wY2tC9jF4gH8kS3aD6eI1uO5lP0mN7qV2xB9zT4yW8rC3hJ6fG1dK5sA0eU7iO2lP9mN4qV8xB3zT6yW1rC5hJ0fG7dK2sA9eU4iO8lP3mN6qV1xB5', want: [['SECRET_HIGH_ENTROPY', '9fK2-mQ7x.Lp4=vR8_tB3nZ6wY1jH5cD0gS7aE2uI9oP4kM8xN3bV6zC1lF5qW0rT7yU2eA9sG4dJ8hK3mL6pQ1vX5nB0zR7wY2tC9jF4gH8kS3aD6eI1uO5lP0mN7qV2xB9zT4yW8rC3hJ6fG1dK5sA0eU7iO2lP9mN4qV8xB3zT6yW1rC5hJ0fG7dK2sA9eU4iO8lP3mN6qV1xB5']] },
  { id: 'GL generic tp passwd', text: 'passwd = Hq3.vN8-xKpL2_mZr7=TbW9cYd4Fg', want: [['SECRET_HIGH_ENTROPY', 'Hq3.vN8-xKpL2_mZr7=TbW9cYd4Fg']] },
  { id: 'GL generic tp hex client_secret', text: '"client_secret" : "6da89121079f83b2eb6acccf8219ea982c3d79bccc3e9c6a85856480661f8fde",', want: [['SECRET_HIGH_ENTROPY', '6da89121079f83b2eb6acccf8219ea982c3d79bccc3e9c6a85856480661f8fde']] },
  { id: 'GL generic tp mySecretString', text: 'mySecretString=Tz4Kp9Wm2Rx7Lq3Vn8Bc5Hy1Jf6Dg', want: [['SECRET_HIGH_ENTROPY', 'Tz4Kp9Wm2Rx7Lq3Vn8Bc5Hy1Jf6Dg']] },
  { id: 'GL generic tp todo_secret', text: 'todo_secret_do_not_commit = Np6Qw2Ez8Rt4Yu1Io7Pa3Sd9Fg5Hj0', want: [['SECRET_HIGH_ENTROPY', 'Np6Qw2Ez8Rt4Yu1Io7Pa3Sd9Fg5Hj0']] },
  { id: 'GL generic tp UUID api_token', text: ' utils.GetEnvOrDefault("api_token", "dafa7817-e246-48f3-91a7-e87653d587b8")', want: [], differs: 'UUIDs are identifiers far more often than secrets, and an argument list is no assignment' },
  { id: 'GL generic fp accessor', text: '"accessor":"rA1wk0Y45YCufyfq",', want: [] },
  { id: 'GL generic fp access id', text: 'report_access_id: e8e4df51-2054-49b0-ab1c-516ac95c691d', want: [] },
  { id: 'GL generic fp accessibility', text: 'accessibilityYesOptionId = "0736f5ef-7e88-499a-80cc-90c85d2a5180"', want: [] },
  { id: 'GL generic fp api version', text: 'MantleAPI_version=9a038989604e8da62ecddbe2094b16ce1b778be1', want: [] },
  { id: 'GL generic fp api url', text: 'apiUrl=apigee.corpint.com', want: [] },
  { id: 'GL generic fp author', text: 'author = "james.fake@ymail.com",', want: [] },
  { id: 'GL generic fp auth header', text: 'X-MS-Exchange-Organization-AuthSource: sm02915.int.contoso.com', want: [] },
  { id: 'GL generic fp credentialsId', text: "credentialsId: 'ff083f76-7804-4ef1-80e4-fe975bb9141b'", want: [] },
  { id: 'GL generic fp credentialId', text: '  "credentialId": "B9mTcFSck2LzJO2S3ols63",', want: [] },
  { id: 'GL generic fp credentials url', text: 'dev.credentials.url=dev-lb1.api.f4ke.com:5215', want: [] },
  { id: 'GL generic fp public_key', text: 'public_key = "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit"', want: [] },
  { id: 'GL generic fp primaryKey', text: 'primaryKey=Wq8Er3Ty6Ui1Op4As7Df2Gh5Jk9Lz', want: [] },
  { id: 'GL generic fp issuerKeyHash', text: 'issuerKeyHash=Wq8Er3Ty6Ui1Op4As7Df2Gh5Jk9Lz', want: [] },
  { id: 'GL generic fp keyStr', text: 'const keyStr = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"', want: [] },
  { id: 'GL generic fp kms key id', text: '                                "kms_key_id": "555ea4a3-d53a-4412-9c66-3a7cb667b0d6",', want: [] },
  { id: 'GL generic fp yarn apiKey', text: ',apiKey:"6fe4476ee5a1832882e326b506d14126",', want: [['SECRET_HIGH_ENTROPY', '6fe4476ee5a1832882e326b506d14126']], differs: 'a known public key only a list of strings tells apart: the allow list, not code' },
  { id: 'GL generic fp secret name', text: 'LLM_SECRET_NAME = "NEXUS-GPT4-API-KEY"', want: [] },
  { id: 'GL generic fp UserSecretsId', text: '  <UserSecretsId>79a3edd0-2092-40a2-a04d-dcb46d5ca9ed</UserSecretsId>', want: [] },
  { id: 'GL generic fp docker secret mount', text: '#RUN --mount=type=secret,id=jfrog_secret \\\n#    JFROG_SECRET = $(cat /run/secrets/jfrog_secret) && \\', want: [] },
  { id: 'GL generic fp token url', text: "    access_token_url='https://github.com/login/oauth/access_token',", want: [] },
  { id: 'GL generic fp publicToken', text: 'publicToken = "9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit"', want: [] },
  { id: 'GL generic fp TokenFile', text: '<SourceFile SourceLocation="F:\\Extracts\\" TokenFile="RTL_INST_CODE.cer">', want: [] },
  { id: 'GL generic fp maven coordinate', text: 'notes            = "Maven - io.jsonwebtoken:jjwt-jackson-0.11.2"', want: [] },
  { id: 'GL generic fp csrf token', text: 'csrf-token=Mj2qykJO5rELyHgezQ69nzUX0i3OH67V7+V4eUrLfpuyOuxmiW9rhROG/Whikle15syazJOkrjJa3U2AbhIvUw==', want: [] },
  { id: 'GL generic fp clientId', text: 'clientId = "73082700-1f09-405b-80d0-3131bfd6272d"', want: [] },
  { id: 'GL generic fp empty env values', text: 'GITHUB_API_KEY=\nDYNATRACE_API_KEY=', want: [] },
  { id: 'GL generic fp empty then long name', text: 'snowflake.password=\njdbc.snowflake.connection.url=jdbc:snowflake://acct.snowflakecomputing.com', want: [] },
  { id: 'GL generic fp SRCREV', text: 'SRCREV_moby = "43fc912ef59a83054ea7f6706df4d53a7dea4d80"', want: [] },
  { id: 'GL generic fp LIC_FILES_CHKSUM', text: 'LIC_FILES_CHKSUM = "file://${WORKDIR}/license.html;md5=5c94767cedb5d6987c902ac850ded2c6"', want: [] },
  { id: 'DS keyword fp fake secret', text: 'my_password = "fakesecret"', want: [] },
  { id: 'DS keyword fp code call', text: 'login(username=username, password=password)', want: [] },
  { id: 'DS keyword fp dir', text: 'private_key "some/dir/aint/a/secret";', want: [] },
  { id: 'DS keyword fp template', text: 'password: ${link}', want: [] },
  { id: 'DS keyword fp js member', text: 'apiKey: this.apiKey,', want: [] },
  { id: 'DS keyword fp php variable', text: '$password = $input;', want: [] },
  { id: 'DS keyword tp with brackets', text: 'my_password = m{{h}o)p${e]nob(ody[finds>-_$#thisone}}', want: [], differs: 'values stop at brackets so code (`foo(bar)`, `d["k"]`) is not read as a value; its 1-character head is too short' },
  // The near misses, each under a secret name so the value alone decides.
  { id: 'near miss UUID', text: 'session_token=3f2504e0-4f89-41d3-9a0c-0305e82c3301', want: [] },
  { id: 'near miss git SHA-1 under a commit name', text: 'token_commit_sha=9fceb02d0ae598e95dc970b74767f19372d61af8', want: [] },
  { id: 'near miss sha256 under a digest name', text: 'secret_digest: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', want: [] },
  { id: 'near miss base64 of text', text: 'secret_label=VGhpcyBpcyBhIHBsYWluIHNlbnRlbmNlIG9mIHRleHQu', want: [] },
  { id: 'near miss variable name', text: 'token_provider = AccessTokenRefreshHandlerFactory', want: [] },
  { id: 'near miss relative path', text: 'secret_path: vault/kv/production/payments/stripe', want: [] },
  { id: 'basic auth base64 of user:password', text: 'Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1lMTIzNDU2', want: [['SECRET_HIGH_ENTROPY', 'YWxhZGRpbjpvcGVuc2VzYW1lMTIzNDU2']] },
];

const ALL: Array<[string, Case[]]> = [
  ['AWS', AWS],
  ['GitHub', GITHUB],
  ['Google API keys', GOOGLE],
  ['Slack', SLACK],
  ['Stripe', STRIPE],
  ['JWT', JWT],
  ['private keys', PRIVATE_KEYS],
  ['high-entropy with context', GENERIC],
];

for (const [kind, cases] of ALL) {
  describe(`secrets against labelled cases: ${kind}`, () => {
    it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
      expect(found(c.text)).toEqual(expected(c));
    });
  });
}

describe('the case tables', () => {
  it('give every deliberate difference a reason and keep ids unique', () => {
    const all = ALL.flatMap(([, cases]) => cases);
    expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
    for (const c of all) if (c.differs !== undefined) expect(c.differs.length, c.id).toBeGreaterThan(20);
    // Each kind has positives and negatives.
    for (const [kind, cases] of ALL) {
      expect(cases.some((c) => c.want.length > 0), kind).toBe(true);
      expect(cases.some((c) => c.want.length === 0), kind).toBe(true);
    }
  });
});
