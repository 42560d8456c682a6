// i18n: the pages' labels in English and Chinese, the language switch, number and time formats.
// Static labels carry data-i18n="key" (text), data-i18n-aria / data-i18n-placeholder (attributes).

const STRINGS = {
  en: {
    'lang.other': '中文', 'lang.switch': 'Switch to Chinese',
    'brand': 'National carbon emission allowance registry',
    'nav.label': 'Public pages', 'nav.log': 'Log', 'nav.instruments': 'Instruments',
    'nav.compliance': 'Compliance', 'nav.allocation': 'Allocation tables', 'nav.verify': 'Verify',
    'skip': 'Skip to the content',
    'footer': 'Every figure on these pages comes from the registry\'s public API; the verifier checks the signed log in this browser.',
    'title.log': 'The log', 'title.instruments': 'Instruments', 'title.compliance': 'Compliance',
    'title.allocation': 'Allocation tables', 'title.verify': 'Verify a transaction', 'title.standalone': 'Standalone verifier',
    'log.intro': 'Every accepted transaction is an entry of an append-only Merkle log. The registry signs the tree head (a checkpoint); witnesses cosign it after checking that it extends what they saw before.',
    'log.origin': 'Origin', 'log.key': 'Verifier key', 'log.keysource': 'Key source', 'log.size': 'Tree size',
    'log.checkpoint': 'Latest checkpoint', 'log.signatures': 'Signatures', 'log.consistency': 'Consistency with this browser\'s last-seen checkpoint',
    'log.sig.log': 'log', 'log.sig.witness': 'witness', 'log.sig.unknown': 'other',
    'log.keyfrom': 'served by this registry at /v1/log: a reader who fears a split view checks with a key from elsewhere (verify page, standalone file)',
    'col.signer': 'Signer', 'col.role': 'Role', 'col.time': 'Cosigned at', 'col.result': 'Result',
    'inst.intro': 'Each vintage of allowances (CEA) and each offset credit (CCER) with its totals, in tonnes of CO2e.',
    'inst.caption': 'Instruments and their totals (t CO2e)',
    'col.code': 'Code', 'col.kind': 'Kind', 'col.vintage': 'Vintage', 'col.years': 'Compliance years',
    'col.cap': 'Cap', 'col.issued': 'Issued', 'col.surrendered': 'Surrendered', 'col.cancelled': 'Cancelled',
    'col.carried': 'Carried over',
    'csv.download': 'Download CSV', 'noscript.csv': 'Without JavaScript, download the table as CSV:',
    'noscript.years': 'Without JavaScript, each year\'s table is a CSV download (the links below).',
    'comp.intro': 'Every covered enterprise of the year: verified emissions, what it surrendered and whether it met its obligation. CCER counts up to 5% of the obligation.',
    'comp.year': 'Compliance year', 'comp.years': 'Years', 'comp.caption': 'Compliance {year}',
    'comp.filter.province': 'Province', 'comp.filter.status': 'Status', 'comp.filter.all': 'All',
    'comp.totals': 'Totals', 'comp.enterprises': 'Enterprises', 'comp.obligation': 'Obligation (verified emissions)',
    'comp.counted': 'Counted', 'comp.shortfall': 'Shortfall', 'comp.shown': '{n} of {total} enterprises shown',
    'comp.none': 'No compliance year is open on this registry.', 'comp.norows': 'No enterprise matches.',
    'col.name': 'Enterprise', 'col.uscc': 'USCC', 'col.province': 'Province', 'col.sector': 'Sector',
    'col.emissions': 'Verified emissions', 'col.cea': 'Surrendered CEA', 'col.ccer': 'Surrendered CCER',
    'col.counted': 'Counted', 'col.shortfall': 'Shortfall', 'col.status': 'Status',
    'sort.by': 'Sort by {col}',
    'page.prev': 'Previous', 'page.next': 'Next', 'page.of': 'Page {page} of {pages}', 'page.nav': 'Pages',
    'status.compliant': 'compliant', 'status.short': 'short', 'status.compliant_late': 'compliant late', 'status.overdue': 'overdue',
    'sector.power': 'power', 'sector.steel': 'iron and steel', 'sector.cement': 'cement', 'sector.aluminium': 'aluminium', 'sector.none': '-',
    'kind.cea': 'allowance (CEA)', 'kind.ccer': 'offset (CCER)',
    'alloc.intro': 'The allocation tables the registry has published on its ledger: per scheme, the balance value and every unit.',
    'alloc.none': 'None published: this registry has not published allocation tables.',
    'alloc.scheme': 'Scheme', 'alloc.bv': 'Balance value', 'col.unit': 'Unit', 'col.quota': 'Quota', 'col.value': 'Value',
    'alloc.table': 'Table', 'alloc.rows': 'Units', 'alloc.phase.pre': 'pre-allocation', 'alloc.phase.final': 'final quota',
    'alloc.status.complete': 'complete', 'alloc.status.open': 'incomplete, not yet usable', 'alloc.status.abandoned': 'abandoned',
    'alloc.bp.none': 'none (this method has no balance value)', 'alloc.bp.published': 'published', 'alloc.bp.solved': 'solved, checked by the ledger',
    'alloc.committed': 'confidential (salted commitment)',
    'col.output': 'Output', 'col.prev': 'Previous-year emissions', 'col.pre': 'Pre-allocation', 'col.version': 'Row version',
    'ver.intro': 'Drop or paste a transaction receipt (a c2sp.org/tlog-proof file that quotactl proof --receipt writes). This browser decodes the transaction and checks the signed checkpoint, the witnesses, the inclusion proof and the consistency with the last checkpoint it saw, with its own code.',
    'ver.receipt': 'Receipt', 'ver.file': 'Receipt file', 'ver.drop': 'or drop a .tlog-proof file here',
    'ver.txid': 'Transaction id (public logs)', 'ver.fetch': 'Fetch its receipt',
    'ver.key': 'Verifier key of the log', 'ver.policy': 'Witness policy (c2sp.org/tlog-policy)',
    'ver.keyfile': 'Key or policy file', 'ver.button': 'Verify',
    'ver.trust': 'What this verification trusts', 'ver.keysrc': 'Verifier key from: {src}', 'ver.policysrc': 'Witness policy from: {src}',
    'src.registry': 'this registry (/v1/log)', 'src.reader': 'pasted by you', 'src.none': 'none given (quorum none)',
    'src.policylog': 'the log line of your policy',
    'src.saved': 'yours, kept in this browser since you last verified with it',
    'log.policy': 'Witness policy', 'log.policy.none': 'none: paste one on the verify page to check the witnesses here too',
    'log.policy.saved': 'yours, kept in this browser (from the verify page)',
    'log.policy.served': 'served by this registry at /v1/log: the policy it publishes under (a reader who fears a split view uses one from elsewhere)',
    'log.published': 'Published', 'log.published.at': 'size {size}, published {time}',
    'log.published.signed': 'size {size}: without a witness policy each checkpoint is published as it is signed',
    'col.policyname': 'In the policy',
    'ver.standalone': 'A page served by the registry cannot protect you from that registry. Download the standalone verifier, open it from disk and give it keys you obtained elsewhere:',
    'ver.standalone.link': 'quotad-verifier.html',
    'ver.tx': 'The transaction', 'ver.checks': 'Checks', 'ver.passed': 'passed', 'ver.failed': 'FAILED', 'ver.skipped': 'not checked',
    'ver.all.ok': 'Verified: this transaction is in the registry\'s log.',
    'ver.all.bad': 'NOT verified: see the failed checks.',
    'chk.receipt': 'Receipt format', 'chk.leaf': 'Entry (leaf data)', 'chk.signature': 'Checkpoint signature',
    'chk.witnesses': 'Witness cosignatures', 'chk.inclusion': 'Inclusion proof', 'chk.consistency': 'Consistency with the last checkpoint seen',
    'm.receipt_ok': 'c2sp.org/tlog-proof@v1, entry {index}, {n} proof hashes',
    'm.receipt_bad': 'not a receipt: {why}', 'm.noextra': 'the receipt carries no entry leaf (extra line)',
    'm.leaf_ok': 'entry {index}, committed {time}', 'm.leaf_bad': 'the leaf does not decode: {why}',
    'm.leaf_index': 'the leaf is entry {leaf}, the receipt says index {index}',
    'm.key_bad': 'the verifier key is not usable: {why}', 'm.note_bad': 'the checkpoint is not a signed note: {why}',
    'm.origin': 'the checkpoint\'s origin {origin} is not the verifier key\'s name {name}',
    'm.sig_ok': 'signed by {name} (key id {id}) for a tree of {size} entries',
    'm.sig_missing': 'no signature by the verifier key {name} (key id {id}): signed by another key?',
    'm.sig_bad': 'the signature by {name} does not verify: the checkpoint was changed or signed by another key',
    'm.pol_bad': 'the witness policy is not usable: {why}',
    'm.pol_log': 'the verifier key is not one of the policy\'s logs',
    'm.wit_none': 'no witnesses required (quorum none): the checkpoint rests on the log\'s signature alone',
    'm.wit_ok': 'quorum met: {list}', 'm.wit_fail': 'quorum not met: {list}',
    'm.wit_one_ok': '{name} cosigned at {time}', 'm.wit_one_missing': '{name} missing', 'm.wit_one_bad': '{name} bad cosignature',
    'm.incl_ok': 'entry {index} leads to the root {root} of the signed tree of {size} entries',
    'm.incl_bad': 'the inclusion proof does not lead to the checkpoint\'s root: the leaf or a proof hash was changed',
    'm.incl_err': 'the inclusion proof is malformed: {why}',
    'm.cons_first': 'the first checkpoint this browser sees for this log: kept as the last seen',
    'm.cons_same': 'the same tree as the last checkpoint this browser saw',
    'm.cons_ok': 'consistent with the last checkpoint this browser saw ({old} entries)',
    'm.cons_bad': 'NOT consistent with the last checkpoint this browser saw ({old} entries, root {oldroot}): the log was rewritten or shows different readers different logs',
    'm.cons_err': 'could not get a consistency proof: {why}',
    'm.cons_offline': 'not checked: the standalone verifier asks no registry for a consistency proof',
    'm.cons_unsigned': 'not checked: the checkpoint did not verify',
    'm.crypto': 'cannot verify: {why}',
    'ver.fields': 'Fields', 'ver.signers': 'Signed by (key hashes)', 'ver.entry': 'Entry {index}, committed {time}',
    'err.load': 'The registry did not answer: {why}',
    'tx.genesis': 'Genesis of the registry {origin}: national account {national_account}, {operator_threshold} of {nkeys} operator keys',
    'tx.key_register': 'Registration of the key "{name}" with the role {role} (scope {scope})',
    'tx.key_revoke': 'Revocation of a key: {reason}',
    'tx.account_open': 'Opening of {kind} account {account} "{name}"',
    'tx.account_update': 'Update of account {account} "{name}"',
    'tx.account_close': 'Closing of account {account}: {reason}',
    'tx.instrument_create': 'Creation of instrument {code} ({kind}, vintage {vintage}, cap {cap} t)',
    'tx.compliance_year': 'Opening of compliance year {year}, surrender deadline {deadline}',
    'tx.issue': 'Issuance of {amount} t of {instrument}',
    'tx.allocate': 'Allocation ({kind}, year {year}) of {amount} t of {instrument} from account {from} to account {to}',
    'tx.clawback': 'Claw-back of {amount} t of {instrument} from account {from} to account {to}: {reason}',
    'tx.transfer': 'Transfer of {amount} t of {instrument} from account {from} to account {to}',
    'tx.position_move': 'Move of {amount} t of {instrument} of account {account} to its {to_position} position',
    'tx.settle': 'Exchange settlement {ref}: {nlegs} legs',
    'tx.freeze': 'Freeze of {amount} t of {instrument} of account {account} ({legal_ref})',
    'tx.unfreeze': 'Release of {amount} t of {instrument} of account {account} ({legal_ref})',
    'tx.freeze_order': 'Freeze order on {amount} t of {instrument} of account {account}, {positions} position ({legal_ref})',
    'tx.unfreeze_order': 'Release of {amount} t of freeze order {order} of account {account} ({legal_ref})',
    'tx.verified_emissions': 'Verified emissions of account {account} for {year}: {emissions} t',
    'tx.surrender': 'Surrender for {year} by account {account}: {amount} t of {instrument} from account {from}',
    'tx.cancel': 'Voluntary cancellation of {amount} t of {instrument} by account {account}',
    'tx.carry_over': 'Carry-over of {amount} t from {from_instrument} to {to_instrument} by account {account}',
    'tx.deduct': 'Deduction of {amount} t from account {account} for {year}: {reason}',
    'tx.deduct.shortfall': 'Deduction of {amount} t from account {account} for its overdue shortfall of {year} ({legal_ref})',
    'tx.deduct.fraud': 'Deduction of {percent}% of the {year} allocations of account {account} for data fraud ({legal_ref})',
    'tx.carry_over.v2': 'Carry-over of {amount} t from {from_instrument} to {to_instrument} by account {account} under rule {rule} (net sales {net_sales} t, cap {cap} t)',
    'tx.carry_over_rule': 'Carry-over rule: vintages {vintage_from}-{vintage_to} into {to_instrument}, cap {base} t + {factor_milli}/1000 x net sales ({ref})',
    'tx.account_reopen': 'Reopening of account {account}: {reason}',
    'tx.at_risk': 'Account {account} {state}: {reason}',
    'risk.set': 'marked at risk', 'risk.clear': 'no longer at risk',
    'tx.alloc_table_open': 'Header of allocation table {table} ({phase}) for {instrument}: {rows_count} rows, balance value {bp}, scheme {status}',
    'phase.pre': 'pre-allocation', 'phase.final': 'final allocation', 'bp.none': 'none',
    'scheme_status.final': 'final', 'scheme_status.draft': 'draft',
    'tx.alloc_table_rows': 'Rows {first} to {last} of allocation table {table} ({nrows} rows)',
    'tx.alloc_table_close.close': 'Closing of allocation table {table}: recomputed by the ledger and fixed',
    'tx.alloc_table_close.abandon': 'Abandonment of allocation table {table}: {reason}',
    'tx.issue.v2': 'Issuance of {amount} t of {instrument} to account {to}',
    'tx.allocate.v2': 'Allocation ({kind}, year {year}) of {amount} t of {instrument} from account {from} to account {to}, held to row {row} of allocation table {table}',
    'tx.clawback.v2': 'Claw-back of {amount} t of {instrument} from account {from} to account {to}: {reason} (row {row} of allocation table {table})',
  },
  zh: {
    'lang.other': 'English', 'lang.switch': '切换到英文',
    'brand': '全国碳排放配额注册登记系统',
    'nav.label': '公开页面', 'nav.log': '日志', 'nav.instruments': '品种',
    'nav.compliance': '履约', 'nav.allocation': '分配表', 'nav.verify': '验证',
    'skip': '跳到正文',
    'footer': '本页所有数字都来自登记系统的公开接口；验证器在本浏览器中核验签名日志。',
    'title.log': '日志', 'title.instruments': '品种', 'title.compliance': '履约',
    'title.allocation': '分配表', 'title.verify': '验证交易', 'title.standalone': '独立验证器',
    'log.intro': '每笔被接受的交易都是只增默克尔日志中的一个条目。登记系统对树头（检查点）签名；见证者确认它延续了此前所见之后再联署。',
    'log.origin': '来源标识', 'log.key': '验证公钥', 'log.keysource': '公钥来源', 'log.size': '树大小',
    'log.checkpoint': '最新检查点', 'log.signatures': '签名', 'log.consistency': '与本浏览器上次所见检查点的一致性',
    'log.sig.log': '日志', 'log.sig.witness': '见证者', 'log.sig.unknown': '其他',
    'log.keyfrom': '由本登记系统在 /v1/log 提供：担心分裂视图的读者应使用从别处获得的公钥核验（验证页、独立文件）',
    'col.signer': '签名者', 'col.role': '角色', 'col.time': '联署时间', 'col.result': '结果',
    'inst.intro': '各年度配额（CEA）和核证自愿减排量（CCER）及其合计，单位为吨二氧化碳当量。',
    'inst.caption': '品种及合计（吨二氧化碳当量）',
    'col.code': '代码', 'col.kind': '类型', 'col.vintage': '年度', 'col.years': '可用于履约年度',
    'col.cap': '总量', 'col.issued': '已签发', 'col.surrendered': '已清缴', 'col.cancelled': '已注销',
    'col.carried': '已结转',
    'csv.download': '下载 CSV', 'noscript.csv': '未启用 JavaScript 时，可下载 CSV 表格：',
    'noscript.years': '未启用 JavaScript 时，可通过下方链接下载各年度的 CSV 表格。',
    'comp.intro': '本年度每家重点排放单位：核查排放量、清缴量以及是否完成履约。CCER 抵销不超过应清缴量的 5%。',
    'comp.year': '履约年度', 'comp.years': '年度', 'comp.caption': '{year} 年度履约',
    'comp.filter.province': '省份', 'comp.filter.status': '状态', 'comp.filter.all': '全部',
    'comp.totals': '合计', 'comp.enterprises': '企业数', 'comp.obligation': '应清缴量（核查排放量）',
    'comp.counted': '已计入', 'comp.shortfall': '缺口', 'comp.shown': '显示 {n} 家，共 {total} 家',
    'comp.none': '本登记系统尚未开放履约年度。', 'comp.norows': '没有符合条件的企业。',
    'col.name': '企业', 'col.uscc': '统一社会信用代码', 'col.province': '省份', 'col.sector': '行业',
    'col.emissions': '核查排放量', 'col.cea': '清缴 CEA', 'col.ccer': '清缴 CCER',
    'col.counted': '已计入', 'col.shortfall': '缺口', 'col.status': '状态',
    'sort.by': '按{col}排序',
    'page.prev': '上一页', 'page.next': '下一页', 'page.of': '第 {page} 页，共 {pages} 页', 'page.nav': '分页',
    'status.compliant': '已履约', 'status.short': '未足额', 'status.compliant_late': '逾期履约', 'status.overdue': '逾期未履约',
    'sector.power': '发电', 'sector.steel': '钢铁', 'sector.cement': '水泥', 'sector.aluminium': '铝冶炼', 'sector.none': '-',
    'kind.cea': '配额（CEA）', 'kind.ccer': '抵销（CCER）',
    'alloc.intro': '登记系统在账本上公布的分配表：每个方案的平衡值和每个机组。',
    'alloc.none': '尚未公布：本登记系统没有公布分配表。',
    'alloc.scheme': '方案', 'alloc.bv': '平衡值', 'col.unit': '机组', 'col.quota': '配额', 'col.value': '数值',
    'alloc.table': '分配表编号', 'alloc.rows': '机组数', 'alloc.phase.pre': '预分配', 'alloc.phase.final': '最终核定',
    'alloc.status.complete': '已完成', 'alloc.status.open': '未完成，尚不可用', 'alloc.status.abandoned': '已放弃',
    'alloc.bp.none': '无（该方法没有平衡值）', 'alloc.bp.published': '主管部门公布', 'alloc.bp.solved': '求解所得，经账本核验',
    'alloc.committed': '保密（加盐承诺值）',
    'col.output': '产量', 'col.prev': '上年排放量', 'col.pre': '预分配量', 'col.version': '行版本',
    'ver.intro': '拖入或粘贴交易回执（quotactl proof --receipt 生成的 c2sp.org/tlog-proof 文件）。本浏览器用自己的代码解码交易，并核验签名检查点、见证者、包含证明以及与上次所见检查点的一致性。',
    'ver.receipt': '回执', 'ver.file': '回执文件', 'ver.drop': '或将 .tlog-proof 文件拖到此处',
    'ver.txid': '交易编号（公开日志）', 'ver.fetch': '获取其回执',
    'ver.key': '日志验证公钥', 'ver.policy': '见证策略（c2sp.org/tlog-policy）',
    'ver.keyfile': '公钥或策略文件', 'ver.button': '验证',
    'ver.trust': '本次验证所信任的内容', 'ver.keysrc': '验证公钥来源：{src}', 'ver.policysrc': '见证策略来源：{src}',
    'src.registry': '本登记系统（/v1/log）', 'src.reader': '由您粘贴', 'src.none': '未提供（quorum none）',
    'src.policylog': '您的策略中的 log 行',
    'src.saved': '您的策略，自上次验证起保存在本浏览器中',
    'log.policy': '见证策略', 'log.policy.none': '无：在验证页粘贴一份策略，即可在此一并核验见证者',
    'log.policy.saved': '您的策略，保存在本浏览器中（来自验证页）',
    'log.policy.served': '由本登记系统在 /v1/log 提供：即其发布检查点所依据的策略（担心分裂视图的读者应使用从别处获得的策略）',
    'log.published': '发布', 'log.published.at': '树大小 {size}，发布于 {time}',
    'log.published.signed': '树大小 {size}：未配置见证策略，检查点签名后即发布',
    'col.policyname': '策略中的名称',
    'ver.standalone': '由登记系统提供的页面无法防范该登记系统本身。请下载独立验证器，从本地磁盘打开，并使用从别处获得的公钥：',
    'ver.standalone.link': 'quotad-verifier.html',
    'ver.tx': '交易', 'ver.checks': '核验项', 'ver.passed': '通过', 'ver.failed': '未通过', 'ver.skipped': '未核验',
    'ver.all.ok': '已验证：该交易在登记系统的日志中。',
    'ver.all.bad': '未通过验证：见未通过的核验项。',
    'chk.receipt': '回执格式', 'chk.leaf': '条目（叶子数据）', 'chk.signature': '检查点签名',
    'chk.witnesses': '见证者联署', 'chk.inclusion': '包含证明', 'chk.consistency': '与上次所见检查点的一致性',
    'm.receipt_ok': 'c2sp.org/tlog-proof@v1，条目 {index}，{n} 个证明哈希',
    'm.receipt_bad': '不是回执：{why}', 'm.noextra': '回执中没有条目叶子数据（extra 行）',
    'm.leaf_ok': '条目 {index}，提交于 {time}', 'm.leaf_bad': '叶子数据无法解码：{why}',
    'm.leaf_index': '叶子数据是条目 {leaf}，回执却写的是 {index}',
    'm.key_bad': '验证公钥不可用：{why}', 'm.note_bad': '检查点不是签名笔记：{why}',
    'm.origin': '检查点的来源标识 {origin} 与验证公钥名称 {name} 不符',
    'm.sig_ok': '由 {name}（公钥标识 {id}）签名，树大小 {size}',
    'm.sig_missing': '没有验证公钥 {name}（公钥标识 {id}）的签名：是否由其他公钥签名？',
    'm.sig_bad': '{name} 的签名无法通过核验：检查点被改动或由其他公钥签名',
    'm.pol_bad': '见证策略不可用：{why}',
    'm.pol_log': '验证公钥不在策略列出的日志中',
    'm.wit_none': '不要求见证者（quorum none）：检查点仅依赖日志本身的签名',
    'm.wit_ok': '满足法定数：{list}', 'm.wit_fail': '未满足法定数：{list}',
    'm.wit_one_ok': '{name} 于 {time} 联署', 'm.wit_one_missing': '{name} 缺失', 'm.wit_one_bad': '{name} 联署无效',
    'm.incl_ok': '条目 {index} 通向树大小为 {size} 的签名树根 {root}',
    'm.incl_bad': '包含证明未通向检查点的树根：叶子数据或证明哈希被改动',
    'm.incl_err': '包含证明格式错误：{why}',
    'm.cons_first': '本浏览器第一次看到该日志的检查点：已记为上次所见',
    'm.cons_same': '与本浏览器上次所见的检查点是同一棵树',
    'm.cons_ok': '与本浏览器上次所见的检查点（{old} 个条目）一致',
    'm.cons_bad': '与本浏览器上次所见的检查点（{old} 个条目，树根 {oldroot}）不一致：日志被改写，或向不同读者展示了不同的日志',
    'm.cons_err': '无法获得一致性证明：{why}',
    'm.cons_offline': '未核验：独立验证器不向任何登记系统请求一致性证明',
    'm.cons_unsigned': '未核验：检查点未通过核验',
    'm.crypto': '无法核验：{why}',
    'ver.fields': '字段', 'ver.signers': '签名者（公钥哈希）', 'ver.entry': '条目 {index}，提交于 {time}',
    'err.load': '登记系统没有应答：{why}',
    'tx.genesis': '登记系统 {origin} 创世：国家账户 {national_account}，运营方公钥 {nkeys} 个中需 {operator_threshold} 个签名',
    'tx.key_register': '登记{role}公钥“{name}”（范围 {scope}）',
    'tx.key_revoke': '吊销公钥：{reason}',
    'tx.account_open': '开立{kind}账户 {account}“{name}”',
    'tx.account_update': '变更账户 {account}“{name}”',
    'tx.account_close': '关闭账户 {account}：{reason}',
    'tx.instrument_create': '创建品种 {code}（{kind}，年度 {vintage}，总量 {cap} 吨）',
    'tx.compliance_year': '开放 {year} 履约年度，清缴截止 {deadline}',
    'tx.issue': '签发 {instrument} {amount} 吨',
    'tx.allocate': '从账户 {from} 向账户 {to} 分配（{kind}，{year} 年度）{instrument} {amount} 吨',
    'tx.clawback': '从账户 {from} 收回 {instrument} {amount} 吨至账户 {to}：{reason}',
    'tx.transfer': '从账户 {from} 向账户 {to} 转让 {instrument} {amount} 吨',
    'tx.position_move': '将账户 {account} 的 {instrument} {amount} 吨移至{to_position}',
    'tx.settle': '交易所结算 {ref}：{nlegs} 笔',
    'tx.freeze': '冻结账户 {account} 的 {instrument} {amount} 吨（{legal_ref}）',
    'tx.unfreeze': '解冻账户 {account} 的 {instrument} {amount} 吨（{legal_ref}）',
    'tx.freeze_order': '冻结令：账户 {account} 的 {instrument} {amount} 吨，{positions} 持仓（{legal_ref}）',
    'tx.unfreeze_order': '解除账户 {account} 的冻结令 {order} 中 {amount} 吨（{legal_ref}）',
    'tx.verified_emissions': '账户 {account} {year} 年度核查排放量：{emissions} 吨',
    'tx.surrender': '账户 {account} 为 {year} 年度清缴：从账户 {from} 清缴 {instrument} {amount} 吨',
    'tx.cancel': '账户 {account} 自愿注销 {instrument} {amount} 吨',
    'tx.carry_over': '账户 {account} 将 {amount} 吨从 {from_instrument} 结转至 {to_instrument}',
    'tx.deduct': '账户 {account} {year} 年度扣减 {amount} 吨：{reason}',
    'tx.deduct.shortfall': '账户 {account} {year} 年度逾期未清缴，扣减 {amount} 吨（{legal_ref}）',
    'tx.deduct.fraud': '账户 {account} 因数据造假扣减 {year} 年度配额的 {percent}%（{legal_ref}）',
    'tx.carry_over.v2': '账户 {account} 依据结转规则 {rule} 将 {amount} 吨从 {from_instrument} 结转至 {to_instrument}（净卖出 {net_sales} 吨，上限 {cap} 吨）',
    'tx.carry_over_rule': '结转规则：{vintage_from}-{vintage_to} 年度配额结转至 {to_instrument}，上限 {base} 吨 + {factor_milli}/1000 × 净卖出量（{ref}）',
    'tx.account_reopen': '重新开立账户 {account}：{reason}',
    'tx.at_risk': '账户 {account}{state}：{reason}',
    'risk.set': '列为风险企业', 'risk.clear': '解除风险企业状态',
    'tx.alloc_table_open': '分配表 {table}（{phase}）表头：{instrument}，共 {rows_count} 行，基准值 {bp}，方案{status}',
    'phase.pre': '预分配', 'phase.final': '核定分配', 'bp.none': '无',
    'scheme_status.final': '正式稿', 'scheme_status.draft': '草案',
    'tx.alloc_table_rows': '分配表 {table} 第 {first} 至 {last} 行（{nrows} 行）',
    'tx.alloc_table_close.close': '关闭分配表 {table}：账本已重新计算并固定',
    'tx.alloc_table_close.abandon': '放弃分配表 {table}：{reason}',
    'tx.issue.v2': '向账户 {to} 签发 {instrument} {amount} 吨',
    'tx.allocate.v2': '从账户 {from} 向账户 {to} 分配（{kind}，{year} 年度）{instrument} {amount} 吨，依据分配表 {table} 第 {row} 行',
    'tx.clawback.v2': '从账户 {from} 收回 {instrument} {amount} 吨至账户 {to}：{reason}（分配表 {table} 第 {row} 行）',
  },
};

// GB/T 2260 province-level codes.
const PROVINCE_NAMES = {
  11: ['Beijing', '北京'], 12: ['Tianjin', '天津'], 13: ['Hebei', '河北'], 14: ['Shanxi', '山西'],
  15: ['Inner Mongolia', '内蒙古'], 21: ['Liaoning', '辽宁'], 22: ['Jilin', '吉林'], 23: ['Heilongjiang', '黑龙江'],
  31: ['Shanghai', '上海'], 32: ['Jiangsu', '江苏'], 33: ['Zhejiang', '浙江'], 34: ['Anhui', '安徽'],
  35: ['Fujian', '福建'], 36: ['Jiangxi', '江西'], 37: ['Shandong', '山东'], 41: ['Henan', '河南'],
  42: ['Hubei', '湖北'], 43: ['Hunan', '湖南'], 44: ['Guangdong', '广东'], 45: ['Guangxi', '广西'],
  46: ['Hainan', '海南'], 50: ['Chongqing', '重庆'], 51: ['Sichuan', '四川'], 52: ['Guizhou', '贵州'],
  53: ['Yunnan', '云南'], 54: ['Tibet', '西藏'], 61: ['Shaanxi', '陕西'], 62: ['Gansu', '甘肃'],
  63: ['Qinghai', '青海'], 64: ['Ningxia', '宁夏'], 65: ['Xinjiang', '新疆'], 71: ['Taiwan', '台湾'],
  81: ['Hong Kong', '香港'], 82: ['Macao', '澳门'],
};

const LANG_KEY = 'quotad.lang';
const langListeners = [];

export function currentLang() {
  return document.documentElement.lang === 'zh' ? 'zh' : 'en';
}

export function t(key, params = {}) {
  const s = STRINGS[currentLang()][key] ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

export function provinceName(code) {
  const p = PROVINCE_NAMES[code];
  return p ? p[currentLang() === 'zh' ? 1 : 0] : String(code);
}

export function fmtInt(v) {
  return BigInt(v).toLocaleString(currentLang() === 'zh' ? 'zh-CN' : 'en-US');
}

// A UTC time, the same text in both languages (ISO 8601), so it reads unambiguously.
export function fmtTimeMs(ms) {
  return new Date(Number(ms)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function applyI18n(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  const title = document.querySelector('title[data-i18n]');
  if (title) document.title = `${t(title.dataset.i18n)} - ${t('brand')}`;
}

function storedLang() {
  try { return localStorage.getItem(LANG_KEY); } catch { return null; }
}

export function setLang(lang) {
  document.documentElement.lang = lang === 'zh' ? 'zh' : 'en';
  try { localStorage.setItem(LANG_KEY, currentLang()); } catch { /* a file: origin may refuse */ }
  applyI18n();
  const sw = document.getElementById('lang-switch');
  if (sw) sw.lang = currentLang() === 'zh' ? 'en' : 'zh'; // the button names the other language in it
  for (const fn of langListeners) fn(currentLang());
}

export function onLangChange(fn) {
  langListeners.push(fn);
}

// The language: ?lang=, else the reader's last choice, else the browser's; the switch toggles it.
export function initI18n() {
  const q = new URLSearchParams(location.search).get('lang');
  const nav = (navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en';
  setLang(q === 'zh' || q === 'en' ? q : storedLang() || nav);
  const sw = document.getElementById('lang-switch');
  if (sw) sw.addEventListener('click', () => setLang(currentLang() === 'zh' ? 'en' : 'zh'));
}
