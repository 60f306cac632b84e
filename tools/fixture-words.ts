/** The per-class word lists the synthetic fixtures (smoke, multilabel) compose their Chinese news titles from. */
export const CLASSES: Record<string, { word: string; subjects: string[]; events: string[]; objects: string[] }> = {
  sports: {
    word: '体育',
    subjects: ['国足', '湖人队', '中国女排', '皇马', '梅西', '苏炳添', '国乒', '恒大'],
    events: ['逆转取胜', '爆冷出局', '卫冕冠军', '签下新援', '主场告负', '晋级决赛'],
    objects: ['世界杯预选赛', '季后赛', '亚洲杯', '全运会', '欧冠联赛', '奥运会'],
  },
  finance: {
    word: '财经',
    subjects: ['央行', '银保监会', '招商银行', '美联储', '外汇局', '统计局'],
    events: ['下调利率', '发布报告', '收紧信贷', '释放流动性', '公布数据', '加强监管'],
    objects: ['房贷利率', '消费贷款', '人民币汇率', '理财产品', '居民收入', '通胀预期'],
  },
  tech: {
    word: '科技',
    subjects: ['华为', '小米', '苹果', '腾讯', '谷歌', '百度'],
    events: ['发布新款', '推出测试版', '开源', '升级', '研发', '曝光'],
    objects: ['折叠屏手机', '人工智能芯片', '操作系统', '自动驾驶', '云计算平台', '5G基站'],
  },
  car: {
    word: '汽车',
    subjects: ['比亚迪', '特斯拉', '大众', '吉利', '丰田', '蔚来'],
    events: ['召回', '降价促销', '首发亮相', '公布售价', '销量大涨', '上市'],
    objects: ['纯电SUV', '混动轿车', '新能源车', '七座MPV', '自动挡车型', '续航版车型'],
  },
  edu: {
    word: '教育',
    subjects: ['教育部', '清华大学', '高考考生', '中小学', '家长', '班主任'],
    events: ['公布', '调整', '取消', '推行', '讨论', '发布'],
    objects: ['招生计划', '课后作业', '高考志愿', '双减政策', '奖学金', '研究生复试'],
  },
};
