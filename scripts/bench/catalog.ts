// The synthetic catalog behind `npm run synth`: ~300 indicators in the seed's
// twelve categories, 28 more villages under Bayantala, and the wording used to
// state a figure in a synthetic report. Pure data; no database access here.
import type { AreaRecord, IndicatorRecord } from '../../src/storage/ports.js'

export type SynthUnit = 'CNY' | 'mu' | 'person' | 'household' | 'head' | 'km' | 'count'

/** How an indicator is reported: monthly indicators also have quarters, halves and the year, and so on. */
export type Granularity = 'month' | 'quarter' | 'half' | 'year'

export interface SynthIndicator extends IndicatorRecord {
  unit: SynthUnit
  granularity: Granularity
  /** Typical size of one figure in the base unit (used to draw values). */
  scale: number
}

interface Part {
  code: string
  zh: string
  en: string
}
interface Measure extends Part {
  unit: SynthUnit
  scale: number
}

const p = (code: string, zh: string, en: string): Part => ({ code, zh, en })
const m = (code: string, zh: string, en: string, unit: SynthUnit, scale: number): Measure => ({ code, zh, en, unit, scale })

/** Per category: subjects × measures, plus a few single indicators, 25 in all. */
const CATEGORIES: Record<string, { prefix: string; subjects: Part[]; measures: Measure[]; singles: Measure[] }> = {
  agriculture: {
    prefix: 'agr',
    subjects: [
      p('maize', '玉米', 'maize'),
      p('soybean', '大豆', 'soybean'),
      p('rice', '水稻', 'rice'),
      p('sunflower', '葵花', 'sunflower'),
      p('potato', '马铃薯', 'potato'),
      p('millet', '谷子', 'millet'),
      p('sorghum', '高粱', 'sorghum'),
      p('mungbean', '绿豆', 'mung bean'),
    ],
    measures: [
      m('sown_area', '播种面积', 'sown area', 'mu', 3000),
      m('households', '种植户数', 'growing households', 'household', 120),
      m('subsidy', '种植补贴发放金额', 'planting subsidy paid', 'CNY', 400000),
    ],
    singles: [m('high_standard_farmland', '高标准农田建设面积', 'High-standard farmland built', 'mu', 5000)],
  },
  livestock: {
    prefix: 'lvs',
    subjects: [
      p('beef_cattle', '肉牛', 'beef cattle'),
      p('breeding_cows', '基础母牛', 'breeding cows'),
      p('wagyu', '和牛', 'wagyu cattle'),
      p('sheep', '肉羊', 'meat sheep'),
      p('pigs', '生猪', 'pigs'),
    ],
    measures: [
      m('stock', '存栏', 'stock on hand', 'head', 2500),
      m('sold', '出栏', 'sold for slaughter', 'head', 900),
      m('farms', '养殖户数', 'raising households', 'household', 150),
      m('subsidy', '养殖补贴发放金额', 'raising subsidy paid', 'CNY', 300000),
      m('vaccinated', '免疫数量', 'vaccinated', 'head', 2000),
    ],
    singles: [],
  },
  ecology: {
    prefix: 'eco',
    subjects: [
      p('afforestation', '人工造林', 'afforestation'),
      p('grassland_restoration', '退化草原修复', 'degraded grassland restoration'),
      p('desertification', '沙化土地治理', 'desertified land treatment'),
      p('grazing_ban', '禁牧', 'grazing ban'),
      p('forage_balance', '草畜平衡', 'grass-livestock balance'),
      p('wetland', '湿地保护', 'wetland protection'),
    ],
    measures: [
      m('area', '面积', 'area', 'mu', 4000),
      m('funds', '资金', 'funds', 'CNY', 500000),
      m('households', '参与农牧户', 'participating households', 'household', 200),
    ],
    singles: [
      m('forest_rangers', '生态护林员人数', 'Ecological forest rangers', 'person', 30),
      m('grassland_wardens', '草原管护员人数', 'Grassland wardens', 'person', 25),
      m('patrols', '护林防火巡查次数', 'Forest fire patrols', 'count', 60),
      m('straw_use', '秸秆综合利用面积', 'Straw comprehensive use', 'mu', 6000),
      m('film_recovery', '残膜回收面积', 'Plastic film recovered', 'mu', 3000),
      m('fire_publicity', '防火宣传活动次数', 'Fire-prevention publicity events', 'count', 20),
      m('firebreaks', '防火隔离带长度', 'Firebreaks built', 'km', 15),
    ],
  },
  infrastructure: {
    prefix: 'inf',
    subjects: [
      p('village_roads', '通村公路', 'village access roads'),
      p('lanes', '巷道硬化', 'hardened lanes'),
      p('road_maintenance', '农村公路养护', 'rural road maintenance'),
      p('canals', '灌溉渠道', 'irrigation canals'),
      p('power_lines', '农网输电线路', 'rural power lines'),
      p('fiber', '通信光缆', 'fibre-optic cable'),
    ],
    measures: [m('length', '长度', 'length', 'km', 12), m('investment', '投资', 'investment', 'CNY', 1500000)],
    singles: [
      m('wells', '机电井数量', 'Motor-pumped wells', 'count', 40),
      m('culverts', '桥涵数量', 'Bridges and culverts', 'count', 8),
      m('tap_water', '自来水入户户数', 'Households connected to tap water', 'household', 300),
      m('street_lights', '路灯安装数量', 'Street lights installed', 'count', 120),
      m('squares', '文化广场数量', 'Culture squares', 'count', 3),
      m('base_stations', '通信基站数量', 'Mobile base stations', 'count', 4),
      m('bridge_repairs', '危桥改造数量', 'Unsafe bridges rebuilt', 'count', 2),
      m('water_saving', '节水灌溉面积', 'Water-saving irrigation area', 'mu', 5000),
      m('drip_irrigation', '浅埋滴灌面积', 'Shallow-buried drip irrigation area', 'mu', 4000),
      m('toilet_upgrades', '户厕改造户数', 'Household toilets upgraded', 'household', 150),
      m('safe_water', '安全饮水受益人口', 'Population with safe drinking water', 'person', 900),
      m('village_offices', '新建村部数量', 'Village offices built', 'count', 2),
      m('drying_yards', '晒场数量', 'Grain drying yards', 'count', 5),
    ],
  },
  social_security: {
    prefix: 'soc',
    subjects: [
      p('dibao', '城乡低保', 'urban and rural minimum living allowance'),
      p('tekun', '特困供养', 'support for the extremely poor'),
      p('temporary_relief', '临时救助', 'temporary relief'),
      p('disability', '残疾人两项补贴', 'two disability subsidies'),
      p('old_age_allowance', '高龄津贴', 'old-age allowance'),
      p('pension', '城乡居民养老保险', 'residents\u2019 pension insurance'),
      p('medical', '城乡居民医疗保险', 'residents\u2019 medical insurance'),
      p('orphans', '孤儿基本生活保障', 'orphans\u2019 basic living support'),
    ],
    measures: [
      m('persons', '人数', 'persons covered', 'person', 400),
      m('amount', '金额', 'amount paid', 'CNY', 600000),
      m('households', '户数', 'households covered', 'household', 180),
    ],
    singles: [m('entitled_groups', '优抚对象人数', 'Entitled groups (veterans and families)', 'person', 40)],
  },
  employment: {
    prefix: 'emp',
    subjects: [
      p('migrant_work', '外出务工', 'work away from home'),
      p('local_jobs', '本地就业', 'local employment'),
      p('skills_training', '职业技能培训', 'vocational skills training'),
      p('public_welfare_posts', '公益性岗位', 'public-welfare posts'),
      p('startup_support', '创业扶持', 'start-up support'),
      p('graduates', '高校毕业生就业', 'graduate employment'),
      p('returnees', '返乡创业', 'returnee entrepreneurship'),
      p('zero_employment', '零就业家庭帮扶', 'help for zero-employment families'),
    ],
    measures: [
      m('persons', '人数', 'persons', 'person', 300),
      m('funds', '资金', 'funds', 'CNY', 250000),
      m('households', '涉及户数', 'households involved', 'household', 120),
    ],
    singles: [m('job_fairs', '招聘会场次', 'Job fairs held', 'count', 4)],
  },
  poverty_alleviation: {
    prefix: 'pov',
    subjects: [
      p('lifted', '脱贫户', 'households lifted out of poverty'),
      p('monitored', '防返贫监测户', 'households under relapse monitoring'),
      p('marginal', '边缘易致贫户', 'marginal households at risk'),
      p('hardship', '突发严重困难户', 'households in sudden severe hardship'),
    ],
    measures: [
      m('households', '户数', 'households', 'household', 90),
      m('persons', '人口', 'persons', 'person', 220),
      m('funds', '帮扶资金', 'assistance funds', 'CNY', 350000),
    ],
    singles: [
      m('projects', '产业扶持项目数', 'Industry support projects', 'count', 6),
      m('linkage_funds', '衔接推进乡村振兴补助资金', 'Rural revitalization linkage funds', 'CNY', 2000000),
      m('cadres', '帮扶干部人数', 'Assistance cadres', 'person', 35),
      m('consumption_aid', '消费帮扶金额', 'Consumption assistance', 'CNY', 150000),
      m('microcredit', '小额信贷发放金额', 'Micro-credit lent', 'CNY', 800000),
      m('microcredit_households', '小额信贷户数', 'Micro-credit borrowers', 'household', 60),
      m('solar_income', '光伏收益分配金额', 'Photovoltaic income distributed', 'CNY', 200000),
      m('courtyard_households', '庭院经济户数', 'Courtyard-economy households', 'household', 140),
      m('courtyard_area', '庭院经济种植面积', 'Courtyard-economy planting area', 'mu', 400),
      m('yulu_plan', '雨露计划资助人数', 'Students funded by the Yulu plan', 'person', 25),
      m('relapse_insurance', '防返贫保险参保人数', 'Persons with anti-relapse insurance', 'person', 500),
      m('home_visits', '入户走访次数', 'Home visits', 'count', 300),
      m('industry_awards', '产业奖补资金', 'Industry rewards and subsidies', 'CNY', 450000),
    ],
  },
  public_services: {
    prefix: 'pub',
    subjects: [
      p('clinics', '卫生室', 'village clinics'),
      p('kindergartens', '幼儿园', 'kindergartens'),
      p('schools', '学校', 'schools'),
      p('libraries', '农家书屋', 'farmhouse libraries'),
      p('service_stations', '便民服务站', 'convenience service stations'),
    ],
    measures: [
      m('units', '数量', 'number', 'count', 3),
      m('served', '服务人数', 'persons served', 'person', 600),
      m('spending', '投入资金', 'spending', 'CNY', 300000),
    ],
    singles: [
      m('family_doctor', '家庭医生签约人数', 'Family-doctor contracts', 'person', 1200),
      m('health_checks', '健康体检人数', 'Health check-ups', 'person', 700),
      m('free_clinics', '义诊活动次数', 'Free clinics held', 'count', 6),
      m('performances', '文艺演出场次', 'Cultural performances', 'count', 10),
      m('film_screenings', '公益电影放映场次', 'Free film screenings', 'count', 24),
      m('service_items', '政务服务事项数', 'Government service items', 'count', 80),
      m('proxy_services', '代办服务件数', 'Errands run on residents\u2019 behalf', 'count', 150),
      m('elderly_health', '老年人健康管理人数', 'Elderly under health management', 'person', 500),
      m('chronic_followups', '慢性病随访人数', 'Chronic-disease follow-ups', 'person', 400),
      m('school_enrolment', '适龄儿童入学人数', 'School-age children enrolled', 'person', 90),
    ],
  },
  work_safety: {
    prefix: 'saf',
    subjects: [
      p('enterprises', '企业安全生产', 'enterprise safety'),
      p('farm_machinery', '农机安全', 'farm machinery safety'),
      p('gas', '燃气安全', 'gas safety'),
      p('fire', '消防安全', 'fire safety'),
      p('road_traffic', '道路交通安全', 'road traffic safety'),
      p('flood', '防汛', 'flood control'),
      p('forest_fire', '森林草原防火', 'forest and grassland fire prevention'),
      p('self_built_housing', '自建房安全', 'self-built housing safety'),
    ],
    measures: [
      m('inspections', '检查次数', 'inspections', 'count', 40),
      m('hazards_fixed', '隐患整改数量', 'hazards rectified', 'count', 25),
      m('trained', '宣传培训人数', 'persons trained', 'person', 350),
    ],
    singles: [m('safety_spending', '安全生产投入资金', 'Work-safety spending', 'CNY', 120000)],
  },
  living_environment: {
    prefix: 'env',
    subjects: [
      p('garbage', '生活垃圾治理', 'household waste management'),
      p('sewage', '生活污水治理', 'sewage treatment'),
      p('toilets', '厕所革命', 'toilet revolution'),
      p('greening', '村庄绿化', 'village greening'),
      p('appearance', '村容村貌整治', 'village appearance improvement'),
    ],
    measures: [
      m('households', '覆盖户数', 'households covered', 'household', 250),
      m('funds', '投入资金', 'funds invested', 'CNY', 200000),
      m('projects', '项目数量', 'projects', 'count', 5),
      m('volunteers', '参与人数', 'participants', 'person', 300),
      m('area', '整治面积', 'area improved', 'mu', 800),
    ],
    singles: [],
  },
  governance: {
    prefix: 'gov',
    subjects: [
      p('party_education', '党员教育', 'party-member education'),
      p('mediation', '矛盾纠纷调解', 'dispute mediation'),
      p('petitions', '信访办理', 'petition handling'),
      p('grid', '网格化管理', 'grid management'),
      p('legal_publicity', '普法宣传', 'legal publicity'),
    ],
    measures: [
      m('events', '次数', 'events', 'count', 20),
      m('participants', '参与人数', 'participants', 'person', 250),
      m('funds', '经费', 'funds', 'CNY', 50000),
    ],
    singles: [
      m('collective_income', '村集体经济收入', 'Village collective income', 'CNY', 300000),
      m('collective_operating_income', '村集体经营性收入', 'Village collective operating income', 'CNY', 150000),
      m('new_members', '发展党员人数', 'New party members', 'person', 4),
      m('activists', '入党积极分子人数', 'Party activists', 'person', 8),
      m('representative_meetings', '村民代表会议次数', 'Villager representative meetings', 'count', 6),
      m('four_two_items', '四议两公开事项数', 'Items decided by the four-discussions procedure', 'count', 12),
      m('affairs_disclosures', '村务公开次数', 'Village affairs disclosures', 'count', 12),
      m('grid_workers', '网格员人数', 'Grid workers', 'person', 10),
      m('points_supermarkets', '积分超市数量', 'Points supermarkets', 'count', 1),
      m('ceremony_councils', '红白理事会数量', 'Weddings-and-funerals councils', 'count', 1),
    ],
  },
  science_extension: {
    prefix: 'sci',
    subjects: [
      p('new_varieties', '新品种示范', 'new-variety demonstration'),
      p('soil_testing', '测土配方施肥', 'soil-testing fertilization'),
      p('green_control', '绿色防控', 'green pest control'),
      p('tech_training', '农牧业科技培训', 'farm technology training'),
      p('machinery', '农机新技术推广', 'new farm-machinery techniques'),
      p('seeds', '良种推广', 'improved-seed extension'),
    ],
    measures: [
      m('area', '面积', 'area', 'mu', 2500),
      m('households', '带动农户数', 'households reached', 'household', 160),
      m('funds', '投入资金', 'funds', 'CNY', 100000),
      m('sessions', '场次', 'sessions', 'count', 8),
    ],
    singles: [m('tech_envoys', '科技特派员人数', 'Science and technology envoys', 'person', 5)],
  },
}

export const SYNTH_CATEGORIES = Object.keys(CATEGORIES)

const GRANULARITIES: Granularity[] = ['month', 'quarter', 'half', 'year']

export function synthIndicators(): SynthIndicator[] {
  const out: SynthIndicator[] = []
  for (const [category, c] of Object.entries(CATEGORIES)) {
    const make = (code: string, zh: string, en: string, unit: SynthUnit, scale: number) => {
      const granularity = GRANULARITIES[out.length % GRANULARITIES.length] as Granularity
      out.push({
        code: `${c.prefix}_${code}`,
        nameZh: zh,
        nameEn: en,
        description: `${en} (${unit}), per village and reporting period. Synthetic indicator generated for load tests (npm run synth); reported ${granularity === 'year' ? 'yearly' : `${granularity}ly`}.`,
        category,
        unit,
        additive: true,
        granularity,
        scale,
      })
    }
    for (const s of c.subjects) for (const me of c.measures) make(`${s.code}_${me.code}`, `${s.zh}${me.zh}`, `${capitalize(s.en)}: ${me.en}`, me.unit, me.scale)
    for (const me of c.singles) make(me.code, me.zh, me.en, me.unit, me.scale)
  }
  return out
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** 28 more villages (gacha) of the town, with plausible Mongolian names in Chinese and pinyin. */
const MORE_VILLAGES: Array<[string, string]> = [
  ['alatanaodu', '阿拉坦敖都'],
  ['harinula', '哈日努拉'],
  ['eerdunbaolige', '额尔敦宝力格'],
  ['chagannaoer', '查干淖尔'],
  ['wulanhada', '乌兰哈达'],
  ['xiritala', '希日塔拉'],
  ['bayinhua', '巴音花'],
  ['daolaodu', '道老杜'],
  ['haolibao', '好力宝'],
  ['huahushuo', '花胡硕'],
  ['nugusitai', '努古斯台'],
  ['shebotu', '舍伯吐'],
  ['tubuxin', '图布信'],
  ['mandula', '满都拉'],
  ['ehentala', '额很塔拉'],
  ['baoligenhua', '宝力根花'],
  ['xiedai', '协代'],
  ['yaolinmaodu', '腰林毛都'],
  ['zhurihe', '珠日河'],
  ['aobaotu', '敖包图'],
  ['sumutu', '苏木图'],
  ['halahu', '哈拉呼'],
  ['hujiertu', '胡吉尔图'],
  ['derisu', '德日苏'],
  ['chaolutu', '朝鲁吐'],
  ['wulijitu', '乌力吉图'],
  ['xibohua', '西伯花'],
  ['baiyinchang', '白音昌'],
]

export function synthVillages(): AreaRecord[] {
  return MORE_VILLAGES.map(([code, zh]) => ({
    code,
    nameZh: zh,
    nameEn: code.charAt(0).toUpperCase() + code.slice(1),
    level: 'village' as const,
    parentCode: 'bayantala',
    divisionCode: null,
  }))
}

/** The words of a period as a Chinese report writes them. */
export function periodWords(code: string): string {
  let m = /^(\d{4})$/.exec(code)
  if (m) return `${m[1]}年全年`
  m = /^(\d{4})-H([12])$/.exec(code)
  if (m) return `${m[1]}年${m[2] === '1' ? '上' : '下'}半年`
  m = /^(\d{4})-Q([1-4])$/.exec(code)
  if (m) return `${m[1]}年第${'一二三四'[Number(m[2]) - 1]}季度`
  m = /^(\d{4})-(\d{2})$/.exec(code)
  if (m) return `${m[1]}年${Number(m[2])}月`
  throw new Error(`no words for period ${code}`)
}

/** The periods of one year an indicator of this granularity reports, finest first, with the kinds stated for each. */
export function reportedPeriods(year: number, granularity: Granularity): Array<{ period: string; kinds: Array<'actual' | 'target' | 'forecast'> }> {
  const out: Array<{ period: string; kinds: Array<'actual' | 'target' | 'forecast'> }> = []
  if (granularity === 'month') for (let i = 1; i <= 12; i++) out.push({ period: `${year}-${String(i).padStart(2, '0')}`, kinds: ['actual'] })
  if (granularity === 'month' || granularity === 'quarter') for (let i = 1; i <= 4; i++) out.push({ period: `${year}-Q${i}`, kinds: ['actual'] })
  if (granularity !== 'year') for (let i = 1; i <= 2; i++) out.push({ period: `${year}-H${i}`, kinds: ['actual', 'target'] })
  out.push({ period: String(year), kinds: ['actual', 'target', 'forecast'] })
  return out
}

export const KIND_WORDS = { actual: '实际完成', target: '计划目标', forecast: '预计' } as const
