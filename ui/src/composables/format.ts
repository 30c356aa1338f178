import { storeToRefs } from 'pinia';
import { useLocaleStore } from '../stores/locale';
import { formatDate, formatDateTime, formatMoney, formatMonth, formatNumber } from '../format';

/** Formatting bound to the current UI language. */
export function useFormat() {
  const { locale } = storeToRefs(useLocaleStore());
  return {
    money: (amount: string | number | null | undefined, currency = 'EUR') => formatMoney(amount, currency, locale.value),
    number: (value: string | number | null | undefined, digits?: number) => formatNumber(value, locale.value, digits),
    date: (value: string | null | undefined) => formatDate(value, locale.value),
    dateTime: (value: string | null | undefined) => formatDateTime(value, locale.value),
    month: (value: string, style: 'long' | 'short' = 'short') => formatMonth(value, locale.value, style),
  };
}
