/**
 * Where each dataset file a pipeline reads comes from, and its SHA-256 (of the copy this project is developed and
 * tested with). `npm run data -- fetch <dataset>` downloads what has a public URL; the others are built from public
 * sources by hand, as each entry's `build` says.
 */

export interface DataFile {
  /** path under the data directory */
  path: string;
  sha256: string;
  bytes: number;
  /** a direct download */
  url?: string;
  /** or a member of a zip archive */
  archive?: { url: string; member: string };
  /** where it comes from, for people */
  source: string;
  /** how to make it, for files with no download of their own */
  build?: string;
}

export interface DatasetSpec {
  name: string;
  description: string;
  files: DataFile[];
}

const CLUE_TNEWS_ZIP = 'https://storage.googleapis.com/cluebenchmark/tasks/tnews_public.zip';
const FEWCLUE = 'https://raw.githubusercontent.com/CLUEbenchmark/FewCLUE/main/datasets/tnews';

const fewclue = (name: string, sha256: string, bytes: number): DataFile => ({
  path: `fewclue-tnews/${name}`,
  sha256,
  bytes,
  url: `${FEWCLUE}/${name}`,
  source: `FewCLUE benchmark (CLUEbenchmark/FewCLUE on GitHub, datasets/tnews/${name})`,
});

const LABELS = fewclue('label_index2en2zh.json', '1e87cf4842c5fe528ac9f76ac164bda88b1bb1458c186750af34327353389f4e', 992);

const EMBEDDINGS: DataFile[] = [
  {
    path: 'embeddings/tencent-char-200d.f32',
    sha256: '2b57be6416dda0f86379a40664e2df86c0dd2213614f0c9e2c634fb826fd57a8',
    bytes: 3809600,
    source: 'the 4,762 most frequent characters of the Tencent AI Lab Chinese embeddings (200-d)',
    build:
      'take the single-character rows of the Tencent AI Lab Chinese embeddings (200-d), keep the 4,762 most frequent characters, write them as little-endian float32, row-major (4,762 × 200)',
  },
  {
    path: 'embeddings/tencent-char-200d.vocab.json',
    sha256: 'b672e93f6d8775965e159150bafd1c3302142404d551ab4c8ff84c52147058c8',
    bytes: 28404,
    source: 'the row index of each character in tencent-char-200d.f32',
    build: 'a JSON object mapping each character of tencent-char-200d.f32 to its row',
  },
];

const TNEWS_TRAIN: DataFile = { path: 'tnews/train.json', sha256: 'e2c6c008569d23b50778a45abe4c2d9cef140177982203ed7dbad9ddcd748b25', bytes: 9704779, archive: { url: CLUE_TNEWS_ZIP, member: 'train.json' }, source: 'CLUE benchmark, tnews_public.zip' };

const CILIN: DataFile = {
  path: 'lexicon/cilin.txt',
  sha256: 'f5cfdff9eb98d4184039d88d71b3e53ba7c9bf9324197dc51c94f2670ae70408',
  bytes: 892600,
  source: "HIT IR Lab's extended Tongyici Cilin (many GitHub mirrors)",
  build: 'the extended Cilin as UTF-8 text, lines like `Aa01A01= 人 士 人物 …`',
};

const NEWS_TITLES: DataFile = {
  path: 'corpus/news-titles.txt',
  sha256: 'd24250ece9c2f6792d2460ace703da89196bd1e0f8bd257412b45f943676cb2a',
  bytes: 3180939,
  source: 'titles of the Toutiao news title classification dataset (toutiao_cat_data.txt, public GitHub copies)',
  build: 'from toutiao_cat_data.txt (lines id_!_code_!_category_!_title_!_keywords): the titles, one per line, deduplicated, with every TNEWS dev sentence removed',
};

export const DATASETS: Record<string, DatasetSpec> = {
  tnews: {
    name: 'tnews',
    description: 'what pipelines/tnews.yaml reads: CLUE TNEWS, the FewCLUE label file (Chinese label names), the unlabeled corpus, Cilin, the character vectors',
    files: [
      TNEWS_TRAIN,
      { path: 'tnews/dev.json', sha256: '0dd33323dfdf224a690f684746b00048a46b70f3b244d411293c8470572644ef', bytes: 1817924, archive: { url: CLUE_TNEWS_ZIP, member: 'dev.json' }, source: 'CLUE benchmark, tnews_public.zip (labeled dev: the test split here)' },
      { path: 'tnews/labels.json', sha256: '934374ed5986bb49d6f09dbbc46acfb1ab9fbcc4cb0fec3392b496b3402ad294', bytes: 691, archive: { url: CLUE_TNEWS_ZIP, member: 'labels.json' }, source: 'CLUE benchmark, tnews_public.zip' },
      LABELS,
      NEWS_TITLES,
      {
        path: 'corpus/wiki-sentences.txt',
        sha256: 'b6da276648b534718fc6f23915df0363840795c14679ce98d24b7de0b7fced2e',
        bytes: 1439094,
        source: 'Chinese Wikipedia sentences from the CMRC 2018 dev and trial paragraphs (ymcui/cmrc2018 on GitHub, CC BY-SA 4.0)',
        build: 'split the CMRC 2018 dev and trial paragraphs at 。！？ and keep the sentences of 8–128 characters, one per line',
      },
      CILIN,
      ...EMBEDDINGS,
    ],
  },
  'fewclue-tnews': {
    name: 'fewclue-tnews',
    description: 'what pipelines/fewclue-tnews.yaml reads: the FewCLUE tnews splits, CLUE TNEWS train (the learning curve draws from it), the news titles (unlabeled), Cilin and the character vectors',
    files: [
      fewclue('train_0.json', '77f0c7cff693962eb447c6e2c0da123af85f289c7fee00ef8056ec928e4c547e', 47935),
      fewclue('train_1.json', '6294d793cbcea7e8d765eabde1ded2a9626a5550874a51d1bcfac884b9f60957', 46449),
      fewclue('train_2.json', '81f170daac3001440b15977a50ab311b143ee210eaff40f53b1ec9e65bb353aa', 44856),
      fewclue('train_3.json', '826b6e7d250e3f749fe41f72f8bff002a7c170a1875dace477ddede321fb15d0', 47053),
      fewclue('train_4.json', 'd11a7ba986f71e993bb258b9f3582d321c7753406b1dc6f7e123afad7714d71e', 47253),
      fewclue('train_few_all.json', '261c91076d36a2e64bad671719cbeccbfce8e7032716de4dbb495bccbb971c15', 230596),
      fewclue('dev_0.json', '85537038538d84c330228c26089254c3b78dfe6ca44b58e051f22b54c708564b', 47015),
      fewclue('dev_1.json', '2dc23b5d293b1f60121a79295441fd85c15e82e0f99bfd90ddeede2ee2331b96', 47108),
      fewclue('dev_2.json', '349b3ffb5c272c3c5d1d088c9a794643f0723f6c30b014bd0bda48e4d3e85698', 46531),
      fewclue('dev_3.json', '5eb8ecfdda704c6b9f72341d540d621fc0283a98d27981605c57c87a309b5838', 47629),
      fewclue('dev_4.json', '81cf19d5e4b4e4ed6724d7915dae2bce0202c49393e53172d030d7a5f9e1a8b1', 46243),
      fewclue('dev_few_all.json', '8aa37d994fa6148e673c1357a44ee1409cab0220f773b55dd8e5733446804725', 214448),
      fewclue('test_public.json', '19909c69baee76687f0ffeb73b5eac642e77a32a8fe661325c6f9338ca9e4c99', 385206),
      fewclue('test.json', '9b082f61cea74c581a3c87aa6c3a05354a4323ddb242916a88a30fa27f6bcb86', 140204),
      fewclue('unlabeled.json', '8b3ecb742f611718fac1a0576cda84211052e94aa07669e2052c89d3bca6e506', 3133192),
      LABELS,
      TNEWS_TRAIN,
      NEWS_TITLES,
      CILIN,
      ...EMBEDDINGS,
    ],
  },
  vocab: {
    name: 'vocab',
    description: "bert-base-chinese's WordPiece vocabulary (lexicon/), for pipelines that use it",
    files: [
      {
        path: 'lexicon/bert-base-chinese-vocab.txt',
        sha256: '45bbac6b341c319adc98a532532882e91a9cefc0329aa57bac9ae761c27b291c',
        bytes: 109540,
        url: 'https://huggingface.co/google-bert/bert-base-chinese/resolve/main/vocab.txt',
        source: "the vocab.txt of Google's bert-base-chinese (Apache-2.0)",
      },
    ],
  },
};
